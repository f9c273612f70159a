// Test page script that misbehaves on purpose: the harness must notice.
const w = new Worker("/bad-worker.js");
w.onmessage = () => { document.body.dataset.done = "yes"; };
