// hearth-worker.js — the dedicated worker behind hearth.js (spec/web.md §3, §4).
//
// hearth.js starts it from a blob: URL of bytes it checked against their
// SHA-384; the build puts Go's wasm_exec.js at its head. It loads hearth.wasm
// (after checking the binary's SHA-384 against the value the page read from
// <meta name="hearth-wasm-sri">),
// runs the client library there, and answers the page's messages:
//
//   page → worker  {id, method, args} | {id, method, argsJSON}
//   worker → page  {id, result} | {id, json} | {id, error: {code, message, retryAfter?, rev?}}
//                  {id, progress: [done, total]}          (upload, download)
//                  {event: "change", sub, json}           (subscribe; json: the event, its change member)
//                  {event: "error", sub, error}           (a subscription stopped)
//                  {event: "session_ended", closed?}      (the session ended, keys wiped;
//                                                          closed: this worker ended too)
//                  {event: "halted", why}                 (this browser stopped saving, spec/web.md §5.1)
//                  {event: "outbox", json}                (a kept write: json, the event; its outbox member)
//
// The first message must be {id, method: "init", args: [{server, origin, wasm, sri, passwordWasm, passwordSri, sealUrl, sealSri, device, bytes, readonly}]},
// answered with {methods: [{name, noResult?}]}, the client's methods the page's handle has
// (wasm/methods.go; noResult: it resolves to nothing)
// (origin: the page's, against which a relative wasm URL is resolved;
// bytes: hearth.wasm as the page fetched it, an ArrayBuffer, checked here
// like a download of the worker's own, which is made when bytes is null;
// readonly: a second worker of the page, such as Home's search worker,
// which resumes the saved session but never stores, wipes or signs out).
//
// Keys at rest (§4): IndexedDB database "hearth", object store "vault":
//   "key"   → a non-extractable AES-256-GCM CryptoKey
//   "state" → {iv: Uint8Array(12), data: ArrayBuffer}, the client state (its
//             saved form, wasm/saved.go) sealed with that key (additional
//             data "hearth-state-v1")
//   "seg:…" → sealed search-index segments, as downloaded (a cache)
//   "outkey", "outbox:…" → like "key" and "state", the writes kept until
//             the server answers (wasm/outbox.go), one record each,
//             additional data "hearth-outbox-v1\n" and the record's name
//   "docs:<doctype>/<n>" → like "state", a page of the documents cache
//             ("docs" events, wasm/docpages.go), additional data
//             "hearth-docs-v1\n" and the record's name
//   "memkey", "memory" → like "key" and "state", for what the browser
//             verified of the accounts' histories (Home: a State without
//             token, session or master key per account; an app: its
//             AppState without token or identity: the "memory" event),
//             additional data "hearth-memory-v1"
// Nothing goes to localStorage. Logout, or a session the server ended,
// deletes them all but the memory, which the next sign-in starts from
// (spec/protocol.md §4.7: a host must not make this browser a fresh device
// by ending its session), and, but at a logout, the kept writes, which the
// account's next session here sends.
"use strict";

// The build puts Go's wasm_exec.js here, in place of this line, so that the
// worker script's SHA-384 (which hearth.js checks) covers it (spec/web.md §2).
importScripts("/wasm_exec.js");

// hash-wasm 4.13.0 (MIT, https://www.npmjs.com/package/hash-wasm), its
// SHA-256 alone (dist/sha256.umd.min.js, as published): globalThis.hashwasm.
// The client library hashes the sealed bytes of uploads and downloads with
// it, about three times the speed of crypto/sha256 in WebAssembly
// (client/blobhash_js.go, spec/web.md §2). It is part of this script, under
// its SHA-384.
/*!
 * hash-wasm (https://www.npmjs.com/package/hash-wasm)
 * (c) Dani Biro
 * @license MIT
 */

!function(A,I){"object"==typeof exports&&"undefined"!=typeof module?I(exports):"function"==typeof define&&define.amd?define(["exports"],I):I((A="undefined"!=typeof globalThis?globalThis:A||self).hashwasm=A.hashwasm||{})}(this,function(A){"use strict";var I,B={name:"sha256",data:"AGFzbQEAAAABEQRgAAF/YAF/AGAAAGACf38AAwgHAAEBAQIAAwUEAQECAgYPAn8BQYCABAt/AEGAgAQLB4IBCQZtZW1vcnkCAA9fX3N0YWNrX3BvaW50ZXIDAA5IYXNoX0dldEJ1ZmZlcgAACUhhc2hfSW5pdAABC0hhc2hfVXBkYXRlAAIKSGFzaF9GaW5hbAAEDUhhc2hfR2V0U3RhdGUABQ5IYXNoX0NhbGN1bGF0ZQAGClNUQVRFX1NJWkUDAQqGSQcGAEGAgQQLnQEAQQBCADcDwIEFQQBBHEEgIABB4AFGIgAbNgLogQVBAEKnn+anxvST/b5/Qquzj/yRo7Pw2wAgABs3A+CBBUEAQrGWgP6fooWs6ABC/6S5iMWR2oKbfyAAGzcD2IEFQQBCl7rDg5Onlod3QvLmu+Ojp/2npX8gABs3A9CBBUEAQti9loj8oLW+NkLnzKfQ1tDrs7t/IAAbNwPIgQUL9wICAX4Hf0EAQQApA8CBBSIBIACtfDcDwIEFAkACQAJAIAGnQT9xIgINAEGAgQQhAwwBCyAAQcAAIAJrIgRJIQUCQCAARQ0AIAAgBCAFGyIDQQNxIQYgAkGAgQVqIQdBACECAkAgA0EESQ0AIANB/ABxIQhBACECA0AgByACaiIDIAJBgIEEai0AADoAACADQQFqIAJBgYEEai0AADoAACADQQJqIAJBgoEEai0AADoAACADQQNqIAJBg4EEai0AADoAACAIIAJBBGoiAkcNAAsgBkUNAQsDQCAHIAJqIAJBgIEEai0AADoAACACQQFqIQIgBkF/aiIGDQALCyAFDQFBgIEFEAMgACAEayEAIARBgIEEaiEDCwJAIABBwABJDQADQCADEAMgA0HAAGohAyAAQUBqIgBBP0sNAAsLIABFDQBBACEGQQAhAgNAIAJBgIEFaiADIAJqLQAAOgAAIAJBAWohAiAAIAZBAWoiBkH/AXFLDQALCwuDPQFFf0EAIAAoAjwiAUH/gfwHcUEIeCABQRh4Qf+B/AdxciIBQRl3IAFBDndzIAFBA3ZzIAAoAjgiAkH/gfwHcUEIeCACQRh4Qf+B/AdxciICaiAAKAIgIgNB/4H8B3FBCHggA0EYeEH/gfwHcXIiBEEZdyAEQQ53cyAEQQN2cyAAKAIcIgNB/4H8B3FBCHggA0EYeEH/gfwHcXIiBWogACgCBCIDQf+B/AdxQQh4IANBGHhB/4H8B3FyIgZBGXcgBkEOd3MgBkEDdnMgACgCACIDQf+B/AdxQQh4IANBGHhB/4H8B3FyIgdqIAAoAiQiA0H/gfwHcUEIeCADQRh4Qf+B/AdxciIIaiACQQ93IAJBDXdzIAJBCnZzaiIDaiAAKAIYIglB/4H8B3FBCHggCUEYeEH/gfwHcXIiCkEZdyAKQQ53cyAKQQN2cyAAKAIUIglB/4H8B3FBCHggCUEYeEH/gfwHcXIiC2ogAmogACgCECIJQf+B/AdxQQh4IAlBGHhB/4H8B3FyIgxBGXcgDEEOd3MgDEEDdnMgACgCDCIJQf+B/AdxQQh4IAlBGHhB/4H8B3FyIg1qIAAoAjAiCUH/gfwHcUEIeCAJQRh4Qf+B/AdxciIOaiAAKAIIIglB/4H8B3FBCHggCUEYeEH/gfwHcXIiD0EZdyAPQQ53cyAPQQN2cyAGaiAAKAIoIglB/4H8B3FBCHggCUEYeEH/gfwHcXIiEGogAUEPdyABQQ13cyABQQp2c2oiCUEPdyAJQQ13cyAJQQp2c2oiEUEPdyARQQ13cyARQQp2c2oiEkEPdyASQQ13cyASQQp2c2oiE2ogACgCNCIUQf+B/AdxQQh4IBRBGHhB/4H8B3FyIhVBGXcgFUEOd3MgFUEDdnMgDmogEmogACgCLCIAQf+B/AdxQQh4IABBGHhB/4H8B3FyIhZBGXcgFkEOd3MgFkEDdnMgEGogEWogCEEZdyAIQQ53cyAIQQN2cyAEaiAJaiAFQRl3IAVBDndzIAVBA3ZzIApqIAFqIAtBGXcgC0EOd3MgC0EDdnMgDGogFWogDUEZdyANQQ53cyANQQN2cyAPaiAWaiADQQ93IANBDXdzIANBCnZzaiIUQQ93IBRBDXdzIBRBCnZzaiIXQQ93IBdBDXdzIBdBCnZzaiIYQQ93IBhBDXdzIBhBCnZzaiIZQQ93IBlBDXdzIBlBCnZzaiIaQQ93IBpBDXdzIBpBCnZzaiIbQQ93IBtBDXdzIBtBCnZzaiIcQRl3IBxBDndzIBxBA3ZzIAJBGXcgAkEOd3MgAkEDdnMgFWogGGogDkEZdyAOQQ53cyAOQQN2cyAWaiAXaiAQQRl3IBBBDndzIBBBA3ZzIAhqIBRqIBNBD3cgE0ENd3MgE0EKdnNqIh1BD3cgHUENd3MgHUEKdnNqIh5BD3cgHkENd3MgHkEKdnNqIh9qIBNBGXcgE0EOd3MgE0EDdnMgGGogA0EZdyADQQ53cyADQQN2cyABaiAZaiAfQQ93IB9BDXdzIB9BCnZzaiIgaiASQRl3IBJBDndzIBJBA3ZzIBdqIB9qIBFBGXcgEUEOd3MgEUEDdnMgFGogHmogCUEZdyAJQQ53cyAJQQN2cyADaiAdaiAcQQ93IBxBDXdzIBxBCnZzaiIhQQ93ICFBDXdzICFBCnZzaiIiQQ93ICJBDXdzICJBCnZzaiIjQQ93ICNBDXdzICNBCnZzaiIkaiAbQRl3IBtBDndzIBtBA3ZzIB5qICNqIBpBGXcgGkEOd3MgGkEDdnMgHWogImogGUEZdyAZQQ53cyAZQQN2cyATaiAhaiAYQRl3IBhBDndzIBhBA3ZzIBJqIBxqIBdBGXcgF0EOd3MgF0EDdnMgEWogG2ogFEEZdyAUQQ53cyAUQQN2cyAJaiAaaiAgQQ93ICBBDXdzICBBCnZzaiIlQQ93ICVBDXdzICVBCnZzaiImQQ93ICZBDXdzICZBCnZzaiInQQ93ICdBDXdzICdBCnZzaiIoQQ93IChBDXdzIChBCnZzaiIpQQ93IClBDXdzIClBCnZzaiIqQQ93ICpBDXdzICpBCnZzaiIrQRl3ICtBDndzICtBA3ZzIB9BGXcgH0EOd3MgH0EDdnMgG2ogJ2ogHkEZdyAeQQ53cyAeQQN2cyAaaiAmaiAdQRl3IB1BDndzIB1BA3ZzIBlqICVqICRBD3cgJEENd3MgJEEKdnNqIixBD3cgLEENd3MgLEEKdnNqIi1BD3cgLUENd3MgLUEKdnNqIi5qICRBGXcgJEEOd3MgJEEDdnMgJ2ogIEEZdyAgQQ53cyAgQQN2cyAcaiAoaiAuQQ93IC5BDXdzIC5BCnZzaiIvaiAjQRl3ICNBDndzICNBA3ZzICZqIC5qICJBGXcgIkEOd3MgIkEDdnMgJWogLWogIUEZdyAhQQ53cyAhQQN2cyAgaiAsaiArQQ93ICtBDXdzICtBCnZzaiIwQQ93IDBBDXdzIDBBCnZzaiIxQQ93IDFBDXdzIDFBCnZzaiIyQQ93IDJBDXdzIDJBCnZzaiIzaiAqQRl3ICpBDndzICpBA3ZzIC1qIDJqIClBGXcgKUEOd3MgKUEDdnMgLGogMWogKEEZdyAoQQ53cyAoQQN2cyAkaiAwaiAnQRl3ICdBDndzICdBA3ZzICNqICtqICZBGXcgJkEOd3MgJkEDdnMgImogKmogJUEZdyAlQQ53cyAlQQN2cyAhaiApaiAvQQ93IC9BDXdzIC9BCnZzaiI0QQ93IDRBDXdzIDRBCnZzaiI1QQ93IDVBDXdzIDVBCnZzaiI2QQ93IDZBDXdzIDZBCnZzaiI3QQ93IDdBDXdzIDdBCnZzaiI4QQ93IDhBDXdzIDhBCnZzaiI5QQ93IDlBDXdzIDlBCnZzaiI6IDggNCAuICwgISAbIBkgAyAOIARBACgC2IEFIjtBGncgO0EVd3MgO0EHd3NBACgC5IEFIjxqQQAoAuCBBSI9QQAoAtyBBSI+cyA7cSA9c2ogB2pBmN+olARqIgdBACgC1IEFIj9qIgAgDGogOyANaiA+IA9qID0gBmogACA+IDtzcSA+c2ogAEEadyAAQRV3cyAAQQd3c2pBkYndiQdqIkBBACgC0IEFIkFqIgwgACA7c3EgO3NqIAxBGncgDEEVd3MgDEEHd3NqQc/3g657aiJCQQAoAsyBBSJDaiINIAwgAHNxIABzaiANQRp3IA1BFXdzIA1BB3dzakGlt9fNfmoiREEAKALIgQUiAGoiDyANIAxzcSAMc2ogD0EadyAPQRV3cyAPQQd3c2pB24TbygNqIkUgQSBDIABzcSBDIABxcyAAQR53IABBE3dzIABBCndzaiAHaiIGaiIHaiAFIA9qIAogDWogCyAMaiAHIA8gDXNxIA1zaiAHQRp3IAdBFXdzIAdBB3dzakHxo8TPBWoiCiAGIABzIENxIAYgAHFzIAZBHncgBkETd3MgBkEKd3NqIEBqIgxqIgQgByAPc3EgD3NqIARBGncgBEEVd3MgBEEHd3NqQaSF/pF5aiILIAwgBnMgAHEgDCAGcXMgDEEedyAMQRN3cyAMQQp3c2ogQmoiDWoiDyAEIAdzcSAHc2ogD0EadyAPQRV3cyAPQQd3c2pB1b3x2HpqIkAgDSAMcyAGcSANIAxxcyANQR53IA1BE3dzIA1BCndzaiBEaiIGaiIHIA8gBHNxIARzaiAHQRp3IAdBFXdzIAdBB3dzakGY1Z7AfWoiQiAGIA1zIAxxIAYgDXFzIAZBHncgBkETd3MgBkEKd3NqIEVqIgxqIgVqIBYgB2ogECAPaiAIIARqIAUgByAPc3EgD3NqIAVBGncgBUEVd3MgBUEHd3NqQYG2jZQBaiIIIAwgBnMgDXEgDCAGcXMgDEEedyAMQRN3cyAMQQp3c2ogCmoiDWoiDyAFIAdzcSAHc2ogD0EadyAPQRV3cyAPQQd3c2pBvovGoQJqIg4gDSAMcyAGcSANIAxxcyANQR53IA1BE3dzIA1BCndzaiALaiIGaiIHIA8gBXNxIAVzaiAHQRp3IAdBFXdzIAdBB3dzakHD+7GoBWoiECAGIA1zIAxxIAYgDXFzIAZBHncgBkETd3MgBkEKd3NqIEBqIgxqIgQgByAPc3EgD3NqIARBGncgBEEVd3MgBEEHd3NqQfS6+ZUHaiIWIAwgBnMgDXEgDCAGcXMgDEEedyAMQRN3cyAMQQp3c2ogQmoiDWoiBWogASAEaiACIAdqIBUgD2ogBSAEIAdzcSAHc2ogBUEadyAFQRV3cyAFQQd3c2pB/uP6hnhqIgcgDSAMcyAGcSANIAxxcyANQR53IA1BE3dzIA1BCndzaiAIaiIBaiIGIAUgBHNxIARzaiAGQRp3IAZBFXdzIAZBB3dzakGnjfDeeWoiBCABIA1zIAxxIAEgDXFzIAFBHncgAUETd3MgAUEKd3NqIA5qIgJqIgwgBiAFc3EgBXNqIAxBGncgDEEVd3MgDEEHd3NqQfTi74x8aiIFIAIgAXMgDXEgAiABcXMgAkEedyACQRN3cyACQQp3c2ogEGoiA2oiDSAMIAZzcSAGc2ogDUEadyANQRV3cyANQQd3c2pBwdPtpH5qIgggAyACcyABcSADIAJxcyADQR53IANBE3dzIANBCndzaiAWaiIBaiIPIBdqIBEgDWogFCAMaiAJIAZqIA8gDSAMc3EgDHNqIA9BGncgD0EVd3MgD0EHd3NqQYaP+f1+aiIGIAEgA3MgAnEgASADcXMgAUEedyABQRN3cyABQQp3c2ogB2oiAmoiCSAPIA1zcSANc2ogCUEadyAJQRV3cyAJQQd3c2pBxruG/gBqIgwgAiABcyADcSACIAFxcyACQR53IAJBE3dzIAJBCndzaiAEaiIDaiIRIAkgD3NxIA9zaiARQRp3IBFBFXdzIBFBB3dzakHMw7KgAmoiDSADIAJzIAFxIAMgAnFzIANBHncgA0ETd3MgA0EKd3NqIAVqIgFqIhQgESAJc3EgCXNqIBRBGncgFEEVd3MgFEEHd3NqQe/YpO8CaiIPIAEgA3MgAnEgASADcXMgAUEedyABQRN3cyABQQp3c2ogCGoiAmoiF2ogEyAUaiAYIBFqIBIgCWogFyAUIBFzcSARc2ogF0EadyAXQRV3cyAXQQd3c2pBqonS0wRqIhggAiABcyADcSACIAFxcyACQR53IAJBE3dzIAJBCndzaiAGaiIDaiIJIBcgFHNxIBRzaiAJQRp3IAlBFXdzIAlBB3dzakHc08LlBWoiFCADIAJzIAFxIAMgAnFzIANBHncgA0ETd3MgA0EKd3NqIAxqIgFqIhEgCSAXc3EgF3NqIBFBGncgEUEVd3MgEUEHd3NqQdqR5rcHaiIXIAEgA3MgAnEgASADcXMgAUEedyABQRN3cyABQQp3c2ogDWoiAmoiEiARIAlzcSAJc2ogEkEadyASQRV3cyASQQd3c2pB0qL5wXlqIhkgAiABcyADcSACIAFxcyACQR53IAJBE3dzIAJBCndzaiAPaiIDaiITaiAeIBJqIBogEWogHSAJaiATIBIgEXNxIBFzaiATQRp3IBNBFXdzIBNBB3dzakHtjMfBemoiGiADIAJzIAFxIAMgAnFzIANBHncgA0ETd3MgA0EKd3NqIBhqIgFqIgkgEyASc3EgEnNqIAlBGncgCUEVd3MgCUEHd3NqQcjPjIB7aiIYIAEgA3MgAnEgASADcXMgAUEedyABQRN3cyABQQp3c2ogFGoiAmoiESAJIBNzcSATc2ogEUEadyARQRV3cyARQQd3c2pBx//l+ntqIhQgAiABcyADcSACIAFxcyACQR53IAJBE3dzIAJBCndzaiAXaiIDaiISIBEgCXNxIAlzaiASQRp3IBJBFXdzIBJBB3dzakHzl4C3fGoiFyADIAJzIAFxIAMgAnFzIANBHncgA0ETd3MgA0EKd3NqIBlqIgFqIhNqICAgEmogHCARaiAfIAlqIBMgEiARc3EgEXNqIBNBGncgE0EVd3MgE0EHd3NqQceinq19aiIZIAEgA3MgAnEgASADcXMgAUEedyABQRN3cyABQQp3c2ogGmoiAmoiCSATIBJzcSASc2ogCUEadyAJQRV3cyAJQQd3c2pB0capNmoiGiACIAFzIANxIAIgAXFzIAJBHncgAkETd3MgAkEKd3NqIBhqIgNqIhEgCSATc3EgE3NqIBFBGncgEUEVd3MgEUEHd3NqQefSpKEBaiIYIAMgAnMgAXEgAyACcXMgA0EedyADQRN3cyADQQp3c2ogFGoiAWoiEiARIAlzcSAJc2ogEkEadyASQRV3cyASQQd3c2pBhZXcvQJqIhQgASADcyACcSABIANxcyABQR53IAFBE3dzIAFBCndzaiAXaiICaiITICNqICYgEmogIiARaiAlIAlqIBMgEiARc3EgEXNqIBNBGncgE0EVd3MgE0EHd3NqQbjC7PACaiIXIAIgAXMgA3EgAiABcXMgAkEedyACQRN3cyACQQp3c2ogGWoiA2oiCSATIBJzcSASc2ogCUEadyAJQRV3cyAJQQd3c2pB/Nux6QRqIhkgAyACcyABcSADIAJxcyADQR53IANBE3dzIANBCndzaiAaaiIBaiIRIAkgE3NxIBNzaiARQRp3IBFBFXdzIBFBB3dzakGTmuCZBWoiGiABIANzIAJxIAEgA3FzIAFBHncgAUETd3MgAUEKd3NqIBhqIgJqIhIgESAJc3EgCXNqIBJBGncgEkEVd3MgEkEHd3NqQdTmqagGaiIYIAIgAXMgA3EgAiABcXMgAkEedyACQRN3cyACQQp3c2ogFGoiA2oiE2ogKCASaiAkIBFqICcgCWogEyASIBFzcSARc2ogE0EadyATQRV3cyATQQd3c2pBu5WoswdqIhQgAyACcyABcSADIAJxcyADQR53IANBE3dzIANBCndzaiAXaiIBaiIJIBMgEnNxIBJzaiAJQRp3IAlBFXdzIAlBB3dzakGukouOeGoiFyABIANzIAJxIAEgA3FzIAFBHncgAUETd3MgAUEKd3NqIBlqIgJqIhEgCSATc3EgE3NqIBFBGncgEUEVd3MgEUEHd3NqQYXZyJN5aiIZIAIgAXMgA3EgAiABcXMgAkEedyACQRN3cyACQQp3c2ogGmoiA2oiEiARIAlzcSAJc2ogEkEadyASQRV3cyASQQd3c2pBodH/lXpqIhogAyACcyABcSADIAJxcyADQR53IANBE3dzIANBCndzaiAYaiIBaiITaiAqIBJqIC0gEWogKSAJaiATIBIgEXNxIBFzaiATQRp3IBNBFXdzIBNBB3dzakHLzOnAemoiGCABIANzIAJxIAEgA3FzIAFBHncgAUETd3MgAUEKd3NqIBRqIgJqIgkgEyASc3EgEnNqIAlBGncgCUEVd3MgCUEHd3NqQfCWrpJ8aiIUIAIgAXMgA3EgAiABcXMgAkEedyACQRN3cyACQQp3c2ogF2oiA2oiESAJIBNzcSATc2ogEUEadyARQRV3cyARQQd3c2pBo6Oxu3xqIhcgAyACcyABcSADIAJxcyADQR53IANBE3dzIANBCndzaiAZaiIBaiISIBEgCXNxIAlzaiASQRp3IBJBFXdzIBJBB3dzakGZ0MuMfWoiGSABIANzIAJxIAEgA3FzIAFBHncgAUETd3MgAUEKd3NqIBpqIgJqIhNqIDAgEmogLyARaiArIAlqIBMgEiARc3EgEXNqIBNBGncgE0EVd3MgE0EHd3NqQaSM5LR9aiIaIAIgAXMgA3EgAiABcXMgAkEedyACQRN3cyACQQp3c2ogGGoiA2oiCSATIBJzcSASc2ogCUEadyAJQRV3cyAJQQd3c2pBheu4oH9qIhggAyACcyABcSADIAJxcyADQR53IANBE3dzIANBCndzaiAUaiIBaiIRIAkgE3NxIBNzaiARQRp3IBFBFXdzIBFBB3dzakHwwKqDAWoiFCABIANzIAJxIAEgA3FzIAFBHncgAUETd3MgAUEKd3NqIBdqIgJqIhIgESAJc3EgCXNqIBJBGncgEkEVd3MgEkEHd3NqQZaCk80BaiIXIAIgAXMgA3EgAiABcXMgAkEedyACQRN3cyACQQp3c2ogGWoiA2oiEyA2aiAyIBJqIDUgEWogMSAJaiATIBIgEXNxIBFzaiATQRp3IBNBFXdzIBNBB3dzakGI2N3xAWoiGSADIAJzIAFxIAMgAnFzIANBHncgA0ETd3MgA0EKd3NqIBpqIgFqIgkgEyASc3EgEnNqIAlBGncgCUEVd3MgCUEHd3NqQczuoboCaiIaIAEgA3MgAnEgASADcXMgAUEedyABQRN3cyABQQp3c2ogGGoiAmoiESAJIBNzcSATc2ogEUEadyARQRV3cyARQQd3c2pBtfnCpQNqIhggAiABcyADcSACIAFxcyACQR53IAJBE3dzIAJBCndzaiAUaiIDaiISIBEgCXNxIAlzaiASQRp3IBJBFXdzIBJBB3dzakGzmfDIA2oiFCADIAJzIAFxIAMgAnFzIANBHncgA0ETd3MgA0EKd3NqIBdqIgFqIhNqICxBGXcgLEEOd3MgLEEDdnMgKGogNGogM0EPdyAzQQ13cyAzQQp2c2oiFyASaiA3IBFqIDMgCWogEyASIBFzcSARc2ogE0EadyATQRV3cyATQQd3c2pBytTi9gRqIhsgASADcyACcSABIANxcyABQR53IAFBE3dzIAFBCndzaiAZaiICaiIJIBMgEnNxIBJzaiAJQRp3IAlBFXdzIAlBB3dzakHPlPPcBWoiGSACIAFzIANxIAIgAXFzIAJBHncgAkETd3MgAkEKd3NqIBpqIgNqIhEgCSATc3EgE3NqIBFBGncgEUEVd3MgEUEHd3NqQfPfucEGaiIaIAMgAnMgAXEgAyACcXMgA0EedyADQRN3cyADQQp3c2ogGGoiAWoiEiARIAlzcSAJc2ogEkEadyASQRV3cyASQQd3c2pB7oW+pAdqIhwgASADcyACcSABIANxcyABQR53IAFBE3dzIAFBCndzaiAUaiICaiITaiAuQRl3IC5BDndzIC5BA3ZzICpqIDZqIC1BGXcgLUEOd3MgLUEDdnMgKWogNWogF0EPdyAXQQ13cyAXQQp2c2oiFEEPdyAUQQ13cyAUQQp2c2oiGCASaiA5IBFqIBQgCWogEyASIBFzcSARc2ogE0EadyATQRV3cyATQQd3c2pB78aVxQdqIgkgAiABcyADcSACIAFxcyACQR53IAJBE3dzIAJBCndzaiAbaiIDaiIRIBMgEnNxIBJzaiARQRp3IBFBFXdzIBFBB3dzakGU8KGmeGoiGyADIAJzIAFxIAMgAnFzIANBHncgA0ETd3MgA0EKd3NqIBlqIgFqIhIgESATc3EgE3NqIBJBGncgEkEVd3MgEkEHd3NqQYiEnOZ4aiIZIAEgA3MgAnEgASADcXMgAUEedyABQRN3cyABQQp3c2ogGmoiAmoiEyASIBFzcSARc2ogE0EadyATQRV3cyATQQd3c2pB+v/7hXlqIhogAiABcyADcSACIAFxcyACQR53IAJBE3dzIAJBCndzaiAcaiIDaiIUIDxqNgLkgQVBACA/IAMgAnMgAXEgAyACcXMgA0EedyADQRN3cyADQQp3c2ogCWoiASADcyACcSABIANxcyABQR53IAFBE3dzIAFBCndzaiAbaiICIAFzIANxIAIgAXFzIAJBHncgAkETd3MgAkEKd3NqIBlqIgMgAnMgAXEgAyACcXMgA0EedyADQRN3cyADQQp3c2ogGmoiCWo2AtSBBUEAID0gL0EZdyAvQQ53cyAvQQN2cyAraiA3aiAYQQ93IBhBDXdzIBhBCnZzaiIYIBFqIBQgEyASc3EgEnNqIBRBGncgFEEVd3MgFEEHd3NqQevZwaJ6aiIZIAFqIhFqNgLggQVBACBBIAkgA3MgAnEgCSADcXMgCUEedyAJQRN3cyAJQQp3c2ogGWoiAWo2AtCBBUEAID4gMEEZdyAwQQ53cyAwQQN2cyAvaiAXaiA6QQ93IDpBDXdzIDpBCnZzaiASaiARIBQgE3NxIBNzaiARQRp3IBFBFXdzIBFBB3dzakH3x+b3e2oiFyACaiISajYC3IEFQQAgQyABIAlzIANxIAEgCXFzIAFBHncgAUETd3MgAUEKd3NqIBdqIgJqNgLMgQVBACA7IDRBGXcgNEEOd3MgNEEDdnMgMGogOGogGEEPdyAYQQ13cyAYQQp2c2ogE2ogEiARIBRzcSAUc2ogEkEadyASQRV3cyASQQd3c2pB8vHFs3xqIhEgA2pqNgLYgQVBACAAIAIgAXMgCXEgAiABcXMgAkEedyACQRN3cyACQQp3c2ogEWpqNgLIgQULswYCBH8BfkEAKALAgQUiAEECdkEPcSIBQQJ0IgIgAigCgIEFQX8gAEEDdCIAdEF/c3FBgAEgAHRzNgKAgQUCQAJAAkAgAUEOSQ0AAkAgAUEORw0AQQBBADYCvIEFC0GAgQUQA0EAIQIMAQsgAUENRg0BIAFBAWohAgsgAiEDAkBBBiACa0EHcSIARQ0AIAIgAGohAyACQQJ0QYCBBWohAQNAIAFBADYCACABQQRqIQEgAEF/aiIADQALCyACQXlqQQdJDQACQEEGIANrIgBBCHENACADQQJ0IgFCADcCmIEFIAFCADcCkIEFIAFCADcCiIEFIAFCADcCgIEFIABBCEkNASADQQhqIQMLIANBAnRBgIEFaiEBA0AgAUIANwIAIAFBOGpCADcCACABQTBqQgA3AgAgAUEoakIANwIAIAFBIGpCADcCACABQRhqQgA3AgAgAUEQakIANwIAIAFBCGpCADcCACABQcAAaiEBDAALC0EAIQBBAEEAKQPAgQUiBKdBA3QiAUH4gfwHcUEIeCABQRh4Qf+B/AdxcjYCvIEFQQAgBEIdiKciAUH/gfwHcUEIeCABQRh4Qf+B/AdxcjYCuIEFQYCBBRADQQBBACgC5IEFIgFB/4H8B3FBCHggAUEYeEH/gfwHcXI2AuSBBUEAQQAoAuCBBSIBQf+B/AdxQQh4IAFBGHhB/4H8B3FyNgLggQVBAEEAKALcgQUiAUH/gfwHcUEIeCABQRh4Qf+B/AdxcjYC3IEFQQBBACgC2IEFIgFB/4H8B3FBCHggAUEYeEH/gfwHcXI2AtiBBUEAQQAoAtSBBSIBQf+B/AdxQQh4IAFBGHhB/4H8B3FyNgLUgQVBAEEAKALQgQUiAUH/gfwHcUEIeCABQRh4Qf+B/AdxcjYC0IEFQQBBACgCzIEFIgFB/4H8B3FBCHggAUEYeEH/gfwHcXI2AsyBBUEAQQAoAsiBBSIBQf+B/AdxQQh4IAFBGHhB/4H8B3FyNgLIgQUCQEEAKALogQUiAkUNAEEAIQEDQCABQYCBBGogAUHIgQVqLQAAOgAAIAFBAWohASACIABBAWoiAEH/AXFLDQALCwsGAEGAgQULowEAQQBCADcDwIEFQQBBHEEgIAFB4AFGIgEbNgLogQVBAEKnn+anxvST/b5/Qquzj/yRo7Pw2wAgARs3A+CBBUEAQrGWgP6fooWs6ABC/6S5iMWR2oKbfyABGzcD2IEFQQBCl7rDg5Onlod3QvLmu+Ojp/2npX8gARs3A9CBBUEAQti9loj8oLW+NkLnzKfQ1tDrs7t/IAEbNwPIgQUgABACEAQLCwwBAEGAgAQLBHAAAAA=",hash:"8ed695a3"};function g(A,I,B,g){return new(B||(B=Promise))(function(Q,E){function c(A){try{d(g.next(A))}catch(A){E(A)}}function i(A){try{d(g.throw(A))}catch(A){E(A)}}function d(A){var I;A.done?Q(A.value):(I=A.value,I instanceof B?I:new B(function(A){A(I)})).then(c,i)}d((g=g.apply(A,I||[])).next())})}"function"==typeof SuppressedError&&SuppressedError;class Q{constructor(){this.mutex=Promise.resolve()}lock(){let A=()=>{};return this.mutex=this.mutex.then(()=>new Promise(A)),new Promise(I=>{A=I})}dispatch(A){return g(this,void 0,void 0,function*(){const I=yield this.lock();try{return yield Promise.resolve(A())}finally{I()}})}}const E="undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:"undefined"!=typeof window?window:global,c=null!==(I=E.Buffer)&&void 0!==I?I:null,i=E.TextEncoder?new E.TextEncoder:null;function d(A,I){return(15&A)+(A>>6|A>>3&8)<<4|(15&I)+(I>>6|I>>3&8)}const n="a".charCodeAt(0)-10,o="0".charCodeAt(0);function a(A,I,B){let g=0;for(let Q=0;Q<B;Q++){let B=I[Q]>>>4;A[g++]=B>9?B+n:B+o,B=15&I[Q],A[g++]=B>9?B+n:B+o}return String.fromCharCode.apply(null,A)}const e=null!==c?A=>{if("string"==typeof A){const I=c.from(A,"utf8");return new Uint8Array(I.buffer,I.byteOffset,I.length)}if(c.isBuffer(A))return new Uint8Array(A.buffer,A.byteOffset,A.length);if(ArrayBuffer.isView(A))return new Uint8Array(A.buffer,A.byteOffset,A.byteLength);throw new Error("Invalid data type!")}:A=>{if("string"==typeof A)return i.encode(A);if(ArrayBuffer.isView(A))return new Uint8Array(A.buffer,A.byteOffset,A.byteLength);throw new Error("Invalid data type!")},C="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",t=new Uint8Array(256);for(let A=0;A<64;A++)t[C.charCodeAt(A)]=A;function y(A){const I=function(A){let I=Math.floor(.75*A.length);const B=A.length;return"="===A[B-1]&&(I-=1,"="===A[B-2]&&(I-=1)),I}(A),B=A.length,g=new Uint8Array(I);let Q=0;for(let I=0;I<B;I+=4){const B=t[A.charCodeAt(I)],E=t[A.charCodeAt(I+1)],c=t[A.charCodeAt(I+2)],i=t[A.charCodeAt(I+3)];g[Q]=B<<2|E>>4,Q+=1,g[Q]=(15&E)<<4|c>>2,Q+=1,g[Q]=(3&c)<<6|63&i,Q+=1}return g}const D=16384,z=new Q,N=new Map;function r(A,I){return g(this,void 0,void 0,function*(){let B=null,Q=null,E=!1;if("undefined"==typeof WebAssembly)throw new Error("WebAssembly is not supported in this environment!");const c=()=>new DataView(B.exports.memory.buffer).getUint32(B.exports.STATE_SIZE,!0),i=z.dispatch(()=>g(this,void 0,void 0,function*(){if(!N.has(A.name)){const I=y(A.data),B=WebAssembly.compile(I.buffer);N.set(A.name,B)}const I=yield N.get(A.name);B=yield WebAssembly.instantiate(I,{})})),n=(A=null)=>{E=!0,B.exports.Hash_Init(A)},o=A=>{if(!E)throw new Error("update() called before init()");(A=>{let I=0;for(;I<A.length;){const g=A.subarray(I,I+D);I+=g.length,Q.set(g),B.exports.Hash_Update(g.length)}})(e(A))},C=new Uint8Array(2*I),t=(A,g=null)=>{if(!E)throw new Error("digest() called before init()");return E=!1,B.exports.Hash_Final(g),"binary"===A?Q.slice(0,I):a(C,Q,I)},r=A=>"string"==typeof A?A.length<4096:A.byteLength<D;let F=r;switch(A.name){case"argon2":case"scrypt":F=()=>!0;break;case"blake2b":case"blake2s":F=(A,I)=>I<=512&&r(A);break;case"blake3":F=(A,I)=>0===I&&r(A);break;case"xxhash64":case"xxhash3":case"xxhash128":case"crc64":F=()=>!1}return yield(()=>g(this,void 0,void 0,function*(){B||(yield i);const A=B.exports.Hash_GetBuffer(),I=B.exports.memory.buffer;Q=new Uint8Array(I,A,D)}))(),{getMemory:()=>Q,writeMemory:(A,I=0)=>{Q.set(A,I)},getExports:()=>B.exports,setMemorySize:A=>{B.exports.Hash_SetMemorySize(A);const I=B.exports.Hash_GetBuffer(),g=B.exports.memory.buffer;Q=new Uint8Array(g,I,A)},init:n,update:o,digest:t,save:()=>{if(!E)throw new Error("save() can only be called after init() and before digest()");const I=B.exports.Hash_GetState(),g=c(),Q=B.exports.memory.buffer,i=new Uint8Array(Q,I,g),n=new Uint8Array(4+g);return function(A,I){const B=I.length>>1;for(let g=0;g<B;g++){const B=g<<1;A[g]=d(I.charCodeAt(B),I.charCodeAt(B+1))}}(n,A.hash),n.set(i,4),n},load:I=>{if(!(I instanceof Uint8Array))throw new Error("load() expects an Uint8Array generated by save()");const g=B.exports.Hash_GetState(),Q=c(),i=4+Q,n=B.exports.memory.buffer;if(I.length!==i)throw new Error(`Bad state length (expected ${i} bytes, got ${I.length})`);if(!function(A,I){if(A.length!==2*I.length)return!1;for(let B=0;B<I.length;B++){const g=B<<1;if(I[B]!==d(A.charCodeAt(g),A.charCodeAt(g+1)))return!1}return!0}(A.hash,I.subarray(0,4)))throw new Error("This state was written by an incompatible hash implementation");const o=I.subarray(4);new Uint8Array(n,g,Q).set(o),E=!0},calculate:(A,g=null,E=null)=>{if(!F(A,g))return n(g),o(A),t("hex",E);const c=e(A);return Q.set(c),B.exports.Hash_Calculate(c.length,g,E),a(C,Q,I)},hashLength:I}})}const F=new Q;let q=null;A.createSHA256=function(){return r(B,32).then(A=>{A.init(256);const I={init:()=>(A.init(256),I),update:B=>(A.update(B),I),digest:I=>A.digest(I),save:()=>A.save(),load:B=>(A.load(B),I),blockSize:64,digestSize:32};return I})},A.sha256=function(A){if(null===q)return function(A,I,B){return g(this,void 0,void 0,function*(){const g=yield A.lock(),Q=yield r(I,B);return g(),Q})}(F,B,32).then(I=>(q=I,q.calculate(A,256)));try{const I=q.calculate(A,256);return Promise.resolve(I)}catch(A){return Promise.reject(A)}}});

const DB = "hearth", STORE = "vault", AAD = new TextEncoder().encode("hearth-state-v1");
const MEM_AAD = new TextEncoder().encode("hearth-memory-v1");

let api = null;       // hearthGo.open(...) result
let loggingOut = false;
let readonly = false; // init's readonly: the session is the main worker's

// The workers of one origin (one per tab) hear of a sign-out in any of them:
// each drops its keys (by ending, once its page knows) and stores nothing.
// A sign-out is dated when its wipe starts (at): a worker that signed in
// after it, such as the one of the page that reloaded because of it, keeps
// its new session (the wipe finishes, and is told, after the reload).
let wiped = false;
let signedInAt = 0; // when this worker last signed in, up or back (resume)
const others = typeof BroadcastChannel === "function" ? new BroadcastChannel("hearth-session") : null;
const tellWiped = (at) => others && others.postMessage({ wiped: true, at });
if (others) {
  others.onmessage = (e) => {
    if (!e.data || e.data.wiped !== true || !api) return;
    if (typeof e.data.at === "number" && e.data.at < signedInAt) return; // an older sign-out
    wiped = true;
    pending = null;
    pendingPages = new Map();
    postMessage({ event: "session_ended", closed: true });
    self.close(); // the keys in this worker's memory go with it
  };
}

// ---- IndexedDB ----

importScripts("/hearth-worker-vault.js"); // the build puts the file here: idb, tx, idbGet

async function stateKey(name = "key") {
  let key = await idbGet(name);
  if (key) return key;
  key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  // add, not put: of two tabs starting at once, the first key stays and the
  // second tab uses it.
  try {
    await tx("readwrite", (s) => { s.add(key, name); });
  } catch (err) {
    if (!err || err.name !== "ConstraintError") throw err;
    return idbGet(name);
  }
  return key;
}

async function storeState(bytes) {
  const key = await stateKey();
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: AAD }, key, bytes);
  await tx("readwrite", (s) => { s.put({ iv, data }, "state"); });
}

async function loadState() {
  const key = await idbGet("key");
  const rec = await idbGet("state");
  if (!key || !rec) return null;
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: rec.iv, additionalData: AAD }, key, rec.data));
  } catch {
    return null; // does not open: treat as nothing saved
  }
}

async function storeMemory(bytes) {
  const key = await stateKey("memkey");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: MEM_AAD }, key, bytes);
  await tx("readwrite", (s) => { s.put({ iv, data }, "memory"); });
}

async function loadMemory() {
  const key = await idbGet("memkey");
  const rec = await idbGet("memory");
  if (!key || !rec) return null;
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: rec.iv, additionalData: MEM_AAD }, key, rec.data));
  } catch {
    return null;
  }
}

// ---- the documents cache (wasm/docpages.go) ----
//
// "docs:<name>" → {iv, data}: a page, sealed with the state's key. Pages
// are written after the state, in its queue, the latest of each name; one
// that does not open is left out (the client reads its documents again),
// and the client takes a page's document only at the revision the state
// says it verified.

const DOCS = "docs:";
const docsAAD = (k) => new TextEncoder().encode("hearth-docs-v1\n" + k);
let pendingPages = new Map(); // not empty: a write of them is queued

function savePage(name, bytes) {
  if (wiped || readonly || typeof name !== "string" || !name) return;
  if (pendingPages.size === 0) queue = queue.then(writePages).catch((err) => console.error("hearth: keeping the documents failed", err));
  pendingPages.set(DOCS + name, bytes);
}

async function writePages() {
  const pages = [...pendingPages];
  pendingPages = new Map();
  if (!pages.length) return;
  const key = await stateKey();
  const sealed = await Promise.all(pages.map(async ([k, b]) => {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    return { iv, data: await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: docsAAD(k) }, key, b) };
  }));
  await tx("readwrite", (s) => { pages.forEach(([k], i) => s.put(sealed[i], k)); });
}

// loadPages gives the pages' bytes: those that open (a cache).
async function loadPages() {
  try {
    const key = await idbGet("key");
    if (!key) return [];
    const range = IDBKeyRange.bound(DOCS, DOCS + "\uffff");
    const [keys, recs] = await tx("readonly", (s) => {
      const ks = s.getAllKeys(range), vs = s.getAll(range);
      return { get result() { return [ks.result, vs.result]; } };
    });
    const out = await Promise.all(keys.map((k, i) => crypto.subtle.decrypt({ name: "AES-GCM", iv: recs[i].iv, additionalData: docsAAD(k) }, key, recs[i].data)
      .then((b) => new Uint8Array(b), () => null)));
    return out.filter((b) => b !== null);
  } catch {
    return [];
  }
}

// Everything in the vault goes but the memory: the session, its key, the
// documents cache and the cached index segments; and the kept writes too
// at a logout (all).
const KEEP = new Set(["memkey", "memory"]);
const kept = (k, all) => KEEP.has(k) || !all && (k === "outkey" || String(k).startsWith(OUTBOX));
const wipeStore = (all) => tx("readwrite", (s) => {
  const r = s.openCursor();
  r.onsuccess = () => {
    const c = r.result;
    if (!c) return;
    if (!kept(c.key, all)) c.delete();
    c.continue();
  };
});

// ---- the outbox: writes kept until the server answers (wasm/outbox.go) ----
//
// "outbox:<name>" → {iv, data}: one kept write (its record: a note's text,
// say), sealed like the state but with a key of its own ("outkey"), which
// a session the server ended leaves in place: the account's next session
// here sends them. The client gives and takes the records' bytes; they
// never leave this worker but sealed.

const OUTBOX = "outbox:";
const outAAD = (k) => new TextEncoder().encode("hearth-outbox-v1\n" + k);
const outbox = {
  async load() {
    const key = await idbGet("outkey");
    if (!key) return [];
    const range = IDBKeyRange.bound(OUTBOX, OUTBOX + "\uffff");
    const [keys, recs] = await tx("readonly", (s) => {
      const ks = s.getAllKeys(range), vs = s.getAll(range);
      return { get result() { return [ks.result, vs.result]; } };
    });
    const out = [];
    for (let i = 0; i < keys.length; i++) {
      try {
        const rec = recs[i];
        out.push([String(keys[i]), new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: rec.iv, additionalData: outAAD(keys[i]) }, key, rec.data))]);
      } catch { /* does not open: left as it is */ }
    }
    return out;
  },
  async store(k, bytes) {
    if (wiped || readonly) throw new Error("this browser signed out");
    const key = await stateKey("outkey");
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: outAAD(k) }, key, bytes);
    await tx("readwrite", (s) => { s.put({ iv, data }, k); });
  },
  remove: (k) => tx("readwrite", (s) => { s.delete(k); }),
};

// ---- the cache of sealed index segments (search: wasm/search.go) ----
//
// "seg:<key>" → Uint8Array: sealed segments as downloaded, so that search
// does not download them again after a reload. Ciphertext, wiped with the
// session. Failures are misses.

const SEG = "seg:";

async function cacheGet(key) {
  try {
    const v = await idbGet(SEG + key);
    return v instanceof Uint8Array ? v : null;
  } catch {
    return null;
  }
}

async function cachePut(key, bytes) {
  if (wiped) return;
  try {
    await tx("readwrite", (s) => { s.put(bytes, SEG + key); });
  } catch { /* a cache */ }
}

async function cachePrune(prefix, keep) {
  const kept = new Set(Array.from(keep, (k) => SEG + prefix + k));
  try {
    await tx("readwrite", (s) => {
      const r = s.openCursor(IDBKeyRange.bound(SEG + prefix, SEG + prefix + "\uffff"));
      r.onsuccess = () => {
        const c = r.result;
        if (!c) return;
        if (!kept.has(c.key)) c.delete();
        c.continue();
      };
    });
  } catch { /* a cache */ }
}

// Saves and wipes run one after the other; of several states waiting, only
// the latest is written.
let queue = Promise.resolve(), pending = null, scheduled = false;

function saveState(bytes) {
  if (wiped || readonly) return; // another tab signed out: this one keeps nothing
  pending = bytes;
  if (scheduled) return;
  scheduled = true;
  queue = queue.then(async () => {
    scheduled = false;
    const t = pending;
    pending = null;
    if (t !== null) await storeState(t);
  }).catch((err) => console.error("hearth: saving the session failed", err));
}

function wipe(all) {
  pending = null;
  pendingPages = new Map();
  queue = queue.then(() => wipeStore(all)).catch((err) => console.error("hearth: wiping the session failed", err));
  return queue;
}

// ---- loading the WebAssembly client ----

function b64(buf) {
  let s = "";
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s);
}

async function init({ server, origin = "", wasm = "/hearth.wasm", sri = "", passwordWasm = "", passwordSri = "", sealUrl = "", sealSri = "", device = "", bytes = null, readonly: ro = false }) {
  if (api) throw Object.assign(new Error("already started"), { code: "bad_input" });
  readonly = ro === true;
  if (typeof self.Go !== "function") {
    throw Object.assign(new Error("the worker script lacks wasm_exec.js (built in by make web)"), { code: "internal" });
  }
  estimatorFrom = { url: passwordWasm, sri: passwordSri, origin };
  if (sealUrl && sealSri) sealFrom = { url: sealUrl, sri: sealSri, origin };
  bytes = await fetchChecked("hearth.wasm", wasm, sri, origin, bytes);
  const go = new self.Go();
  const { instance } = await WebAssembly.instantiate(bytes, go.importObject);
  const ready = new Promise((resolve) => { self.hearthReady = resolve; });
  go.run(instance).then(() => { api = null; }, (err) => { console.error("hearth: the client stopped", err); api = null; });
  await ready;
  api = self.hearthGo.open({ server, device: device || deviceName(), onEvent,
    cache: { get: cacheGet, put: cachePut, prune: cachePrune },
    outbox: readonly ? undefined : outbox });
  return { methods: JSON.parse(api.methods) };
}

// fetchChecked fetches url (relative to origin: started from a blob: URL,
// this worker has no base URL), unless the page handed over its bytes, and
// checks them against sri (<meta name="…-sri">) before they are used.
async function fetchChecked(name, url, sri, origin, bytes = null) {
  const want = String(sri).split(/\s+/).filter((t) => t.startsWith("sha384-")).map((t) => t.slice(7));
  if (want.length === 0) {
    throw Object.assign(new Error(`no SHA-384 for ${name} was given (<meta name="${name.replace(".", "-")}-sri">)`), { code: "integrity" });
  }
  try {
    url = new URL(url, origin || undefined).href;
  } catch {
    throw Object.assign(new Error(`bad ${name} URL: ` + url), { code: "bad_input" });
  }
  if (!(bytes instanceof ArrayBuffer)) { // the page did not fetch it
    const res = await fetch(url, { credentials: "omit" }).catch((err) => {
      throw Object.assign(new Error(`could not load ${name}: ` + err.message), { code: "network" });
    });
    if (!res.ok) throw Object.assign(new Error(`could not load ${name}: HTTP ` + res.status), { code: "network" });
    bytes = await res.arrayBuffer();
  }
  const got = b64(await crypto.subtle.digest("SHA-384", bytes));
  if (!want.includes(got)) {
    throw Object.assign(new Error(`${name} does not match its SHA-384: not loaded`), { code: "integrity" });
  }
  return bytes;
}

importScripts("/hearth-worker-loaders.js"); // the build puts the file here

function deviceName() {
  const ua = self.navigator ? navigator.userAgent : "";
  const b = /Firefox\//.test(ua) ? "Firefox" : /Edg\//.test(ua) ? "Edge" : /Chrom(e|ium)\//.test(ua) ? "Chromium" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  return os ? b + " on " + os : b;
}

// ---- events from the client ----

function onEvent(json, bytes) {
  const ev = JSON.parse(json);
  switch (ev.type) {
    case "state": // holds the master key: sealed here, never posted to the page
      saveState(bytes);
      break;
    case "wipe":
      if (!readonly) {
        const at = Date.now();
        wipe(loggingOut).then(() => tellWiped(at));
      }
      if (!loggingOut) postMessage({ event: "session_ended" });
      break;
    case "docs": // a page of the documents cache: sealed here, never posted to the page
      savePage(ev.name, bytes);
      break;
    case "memory": // after the wipe (queued after it): kept across sessions
      if (!readonly) queue = queue.then(() => storeMemory(bytes)).catch((err) => console.error("hearth: keeping what this device verified failed", err));
      break;
    case "change":
      postMessage({ event: "change", sub: ev.sub, json }); // the page takes ev.change from it
      break;
    case "halted":
      postMessage({ event: "halted", why: (ev.error && ev.error.message) || "" });
      break;
    case "error":
      postMessage({ event: "error", sub: ev.sub, error: ev.error });
      break;
    case "outbox":
      postMessage({ event: "outbox", json }); // the page takes ev.outbox from it
      break;
  }
}

// ---- requests from the page ----

function need() {
  if (!api) throw Object.assign(new Error("Hearth is not started"), { code: "bad_input" });
  return api;
}

// Documents other clients wrote may nest deeper than the structured clone
// of postMessage goes (Chromium's fails at about two thousand levels in a
// worker), and one such document must not stop an app (spec/web.md §3):
// the client's methods take their arguments and give their results as
// JSON text, which goes between page and worker as it is (argsJSON,
// json) and is parsed at the other end (JSON.parse has no such limit).
class Raw {
  constructor(text) { this.text = text; }
}
const call = async (method, args) => new Raw(await need().call(method, typeof args === "string" ? args : JSON.stringify(args)));

// own are the methods the worker answers itself, with parsed arguments
// (they start the client, keep what it gives in the vault, carry bytes or
// report progress); the others' argsJSON goes to the client unparsed.
const own = {
  init: (id, args) => init(args[0] || {}),
  async resume() {
    need();
    const memory = await loadMemory();
    if (memory !== null) await call("remember", [b64(memory)]);
    const [saved, pages] = await Promise.all([loadState(), loadPages()]);
    // known: this browser remembers an account (a session, or what it
    // verified of one), so Home opens on "Sign in" rather than "Create account".
    if (saved === null) return { restored: false, user: null, known: memory !== null };
    // Not restored may still hold an app's connection under way (§5).
    return { ...JSON.parse(await need().resume(saved, pages)), known: true };
  },
  async logout() {
    if (readonly) throw Object.assign(new Error("sign out from the page's main Hearth"), { code: "bad_input" });
    loggingOut = true;
    const at = Date.now();
    try {
      return await call("logout", []);
    } finally {
      loggingOut = false;
      await wipe(true);
      tellWiped(at);
    }
  },
  async upload(id, args) {
    const [blob, name, folder] = args;
    const r = await need().upload(blob, name || "", (done, total) => postMessage({ id, progress: [done, total] }),
      typeof folder === "string" ? folder : undefined, id);
    return JSON.parse(r);
  },
  // cancel stops the upload or saveFile of the call numbered args[0].
  async cancel(id, args) {
    if (api && typeof args[0] === "number") api.cancel(args[0]);
    return null;
  },
  // saveFile streams a file ({id}) or a zip of files and folders ({ids}) to disk,
  // never whole in memory (spec/web.md §3): into handle when given (a
  // file the person chose, whose writes stay in a swap file until close,
  // so a failure aborts and leaves nothing), else into a temporary file
  // of this origin's private file system, whose File (disk-backed) the
  // page downloads and then deletes with saveDone. Nothing is handed over
  // before all of it verified.
  async saveFile(id, args) {
    const what = args[0] || {};
    const progress = (done, total) => postMessage({ id, progress: [done, total] });
    const run = async (sink) => {
      if (Array.isArray(what.ids)) {
        await need().zipTo(JSON.stringify(what.ids), sink, progress, id);
        return null;
      }
      return JSON.parse(await need().downloadTo(String(what.id ?? ""), sink, progress, id));
    };
    if (what.handle) {
      const w = await what.handle.createWritable();
      try {
        const info = await run({ write: (u8) => w.write(u8) });
        await w.close();
        return { info };
      } catch (err) {
        await w.abort().catch(() => {});
        throw err;
      }
    }
    const root = await navigator.storage.getDirectory();
    await sweepDownloads(root);
    const temp = DOWNLOAD_PREFIX + Date.now() + "-" + crypto.randomUUID();
    const fh = await root.getFileHandle(temp, { create: true });
    const h = await fh.createSyncAccessHandle();
    let at = 0;
    try {
      const info = await run({ write(u8) {
        const n = h.write(u8, { at });
        if (n !== u8.length) throw new Error("the disk took " + n + " of " + u8.length + " bytes");
        at += n;
      } });
      h.flush();
      h.close();
      return { file: await fh.getFile(), temp, info };
    } catch (err) {
      try { h.close(); } catch { /* closed */ }
      await root.removeEntry(temp).catch(() => {});
      throw err;
    }
  },
  // saveDone deletes a temporary file of saveFile once the page downloaded it.
  async saveDone(id, args) {
    const name = String(args[0] ?? "");
    if (!name.startsWith(DOWNLOAD_PREFIX)) return null;
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(name).catch(() => {});
    return null;
  },
  async appOfferFiles(id, args) {
    // An archive or a folder's files, read here and handed over whole.
    const files = await Promise.all((args[0] || []).map(async (f) =>
      [f.webkitRelativePath || f.name || "", new Uint8Array(await f.arrayBuffer())]));
    return JSON.parse(await need().appOffer(files));
  },
  async reseal(id) {
    return JSON.parse(await need().reseal((doctype, what, done, total) => postMessage({ id, progress: [done, total, doctype, what] })));
  },
  async download(id, args) {
    const r = await need().download(String(args[0] ?? ""), (done, total) => postMessage({ id, progress: [done, total] }));
    const info = JSON.parse(r.info);
    info.blob = new Blob([r.bytes], { type: info.type || "application/octet-stream" });
    return info;
  },
};

// Temporary files of downloads (saveFile) in the origin's private file
// system: "hearth-download-<ms>-<uuid>". One left behind (a tab closed
// before its download was handed over) is deleted at the next download
// after an hour.
const DOWNLOAD_PREFIX = "hearth-download-";
async function sweepDownloads(root) {
  for await (const name of root.keys()) {
    if (!name.startsWith(DOWNLOAD_PREFIX)) continue;
    const at = Number(name.slice(DOWNLOAD_PREFIX.length).split("-")[0]);
    if (Date.now() - at > 3600e3) await root.removeEntry(name).catch(() => {});
  }
}

// The methods after which this worker holds a session it did not hold
// before (signedInAt).
const signsIn = new Set(["signup", "login", "recover", "resume", "appConnectFinish"]);

async function handle(id, method, args, argsJSON) {
  if (Object.hasOwn(own, method)) return own[method](id, args);
  return call(method, typeof argsJSON === "string" ? argsJSON : args);
}

self.onmessage = async (e) => {
  const { id, method, args, argsJSON } = e.data || {};
  if (typeof id !== "number" || typeof method !== "string") return;
  try {
    let a = Array.isArray(args) ? args : [];
    if (typeof argsJSON === "string" && Object.hasOwn(own, method)) a = JSON.parse(argsJSON);
    const started = Date.now();
    const result = await handle(id, method, Array.isArray(a) ? a : [], argsJSON);
    if (signsIn.has(method)) signedInAt = started;
    // Answer only once the state this call produced is stored, so that a
    // page navigating away right after (to an app, on a reload) finds the
    // session when it comes back.
    await queue;
    if (result instanceof Raw) postMessage({ id, json: result.text });
    else postMessage({ id, result: result === undefined ? null : result });
  } catch (err) {
    // A failure too may have stored something (an ended session's wipe,
    // and the memory kept across it): the page may reload right after.
    await queue;
    const error = { code: (err && err.code) || "internal", message: (err && err.message) || String(err) };
    if (err && err.retryAfter) error.retryAfter = err.retryAfter;
    if (err && err.rev) error.rev = err.rev;
    for (const k of ["size", "limit", "left"]) if (err && typeof err[k] === "number") error[k] = err[k];
    postMessage({ id, error });
  }
};
