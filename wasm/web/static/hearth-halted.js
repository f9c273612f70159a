// hearth-halted.js — the notice an app's page shows while Hearth stopped
// saving in this browser (spec/web.md §5.1), for hearth.js.
//
// An ES module that hearth.js imports. The notice is styled here (through
// the CSSOM, which the pages' CSP allows), for any app.

/**
 * Shows, at the top of the page, that Hearth stopped saving in this browser,
 * with a button to Home, where the person decides; shown again, it is
 * updated in place.
 * @param {string} home Home's URL
 * @param {boolean} signedIn whether the app still reads what it showed before
 */
export function showHaltedNotice(home, signedIn) {
  let box = document.getElementById("hearth-halted");
  if (!box) {
    box = Object.assign(document.createElement("div"), { id: "hearth-halted" });
    box.setAttribute("role", "alert");
    Object.assign(box.style, {
      margin: "0.75rem", padding: "0.75rem 1rem", borderRadius: "8px", font: "15px/1.45 system-ui, sans-serif",
      background: "#fff4e5", color: "#4a2a00", border: "1px solid #d9822b", borderLeft: "5px solid #d9822b",
      display: "flex", flexWrap: "wrap", gap: "0.5rem 1rem", alignItems: "center",
    });
    document.body.prepend(box);
  }
  const text = document.createElement("div");
  text.style.flex = "1 1 18rem";
  text.append(
    Object.assign(document.createElement("strong"), { textContent: "Hearth stopped saving in this browser." }),
    document.createTextNode(" The server now holds an older state of your account than this browser saw. " +
      "Nothing you do here is saved until you decide what to do, in Home. " +
      (signedIn ? "You can still read what this app showed before." : "This app cannot show anything until then.")),
  );
  const go = Object.assign(document.createElement("a"), { id: "hearth-halted-home", href: home + "/", textContent: "Decide in Home" });
  Object.assign(go.style, { background: "#9a4a0b", color: "#fff", padding: "0.45rem 0.9rem", borderRadius: "6px",
    textDecoration: "none", fontWeight: "600", whiteSpace: "nowrap" });
  box.replaceChildren(text, go);
}
