// An independent check of spec/vectors/link.json's HKDF, HMAC, SHA-256 and
// XChaCha20-Poly1305 values with Node's crypto module (not Go): run once
// by hand when the link format changes,
//
//     node spec/vectors/link-check.mjs
//
// It prints "ok" and the number of values it checked, or throws. Argon2id
// is not in Node 20's crypto, so the password derivation starts from the
// vector's pw (crypto/link's Go tests check pw itself). XChaCha20-Poly1305
// is HChaCha20 (written out below, from draft-irtf-cfrg-xchacha §2.2) and
// Node's ChaCha20-Poly1305 with the nonce 0^4 || nonce[16:24].
import { readFileSync } from 'node:fs';
import { hkdfSync, createHmac, createHash, createDecipheriv } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const v = JSON.parse(readFileSync(fileURLToPath(new URL('link.json', import.meta.url))));
const hex = (s) => Buffer.from(s, 'hex');
const eq = (a, b, what) => { if (!Buffer.from(a).equals(Buffer.from(b))) throw new Error('mismatch: ' + what); n++; };
const hkdf = (secret, info) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), Buffer.from(info), 32));
const sha = (b) => createHash('sha256').update(b).digest();
const lp = (s) => { const b = Buffer.from(s); const l = Buffer.alloc(2); l.writeUInt16BE(b.length); return Buffer.concat([l, b]); };
let n = 0;

const keys = {};
for (const d of v.derivations) {
  const pw = d.pw ? hex(d.pw) : Buffer.alloc(0);
  const root = hkdf(Buffer.concat([hex(d.key), pw]), 'hearth/v1 link ' + d.id);
  eq(root, hex(d.root), d.name + ' root');
  eq(hkdf(root, 'hearth/v1 link access'), hex(d.proof), d.name + ' proof');
  eq(sha(hex(d.proof)), hex(d.verifier), d.name + ' verifier');
  eq(hkdf(root, 'hearth/v1 link manifest'), hex(d.seal_key), d.name + ' seal key');
  eq(hkdf(root, 'hearth/v1 link drop'), hex(d.drop_key), d.name + ' drop key');
  keys[d.name] = { id: d.id, seal: hex(d.seal_key), drop: hex(d.drop_key) };
}

function rotl(x, n) { return ((x << n) | (x >>> (32 - n))) >>> 0; }
function hchacha20(key, nonce16) {
  const s = new Uint32Array(16);
  s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
  for (let i = 0; i < 8; i++) s[4 + i] = key.readUInt32LE(4 * i);
  for (let i = 0; i < 4; i++) s[12 + i] = nonce16.readUInt32LE(4 * i);
  const qr = (a, b, c, d) => {
    s[a] = (s[a] + s[b]) >>> 0; s[d] = rotl(s[d] ^ s[a], 16);
    s[c] = (s[c] + s[d]) >>> 0; s[b] = rotl(s[b] ^ s[c], 12);
    s[a] = (s[a] + s[b]) >>> 0; s[d] = rotl(s[d] ^ s[a], 8);
    s[c] = (s[c] + s[d]) >>> 0; s[b] = rotl(s[b] ^ s[c], 7);
  };
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15);
    qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14);
  }
  const out = Buffer.alloc(32);
  [0, 1, 2, 3, 12, 13, 14, 15].forEach((w, i) => out.writeUInt32LE(s[w], 4 * i));
  return out;
}
function xopen(key, nonce, ct, ad) {
  const sub = hchacha20(key, nonce.subarray(0, 16));
  const n12 = Buffer.concat([Buffer.alloc(4), nonce.subarray(16)]);
  const d = createDecipheriv('chacha20-poly1305', sub, n12, { authTagLength: 16 });
  d.setAAD(ad, { plaintextLength: ct.length - 16 });
  d.setAuthTag(ct.subarray(ct.length - 16));
  return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]);
}

for (const m of v.manifests) {
  if (m.error) continue;
  const k = keys[m.derivation];
  const sealed = hex(m.sealed);
  const ver = Buffer.alloc(8); ver.writeBigUInt64BE(BigInt(m.version));
  const ad = Buffer.concat([Buffer.from('hearth-link-v1\0'), lp(m.id), ver, Buffer.from([1])]);
  eq(sealed.subarray(1, 25), hex(m.nonce), m.name + ' nonce');
  const padded = xopen(k.seal, sealed.subarray(1, 25), sealed.subarray(25), ad);
  const content = Buffer.from(m.content_json);
  eq(padded.subarray(0, content.length), content, m.name + ' content');
  if (padded[content.length] !== 0x80 || padded.subarray(content.length + 1).some((b) => b !== 0)) throw new Error(m.name + ' padding');
}

for (const t of v.recipient_tags) {
  const k = keys[t.derivation];
  const tag = createHmac('sha256', k.drop).update(Buffer.concat([lp(k.id), lp(t.recipient)])).digest();
  if (tag.equals(hex(t.tag)) !== t.valid) throw new Error('recipient tag ' + t.name);
  n++;
}

for (const d of v.drops) {
  if (d.error) continue;
  const k = keys[d.derivation];
  const sealed = Buffer.from(d.sealed, 'base64');
  const end = sealed.indexOf('\n', sealed.indexOf('\n--- ') + 1) + 1;
  eq(sha(sealed.subarray(0, end)), hex(d.header_sha256), d.name + ' header hash');
  const tag = createHmac('sha256', k.drop).update(Buffer.concat([lp(k.id), lp(d.drop_id), hex(d.header_sha256)])).digest();
  eq(tag, hex(d.drop_tag), d.name + ' drop tag');
}
console.log('ok', n);
