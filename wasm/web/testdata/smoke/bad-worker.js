// Report an error from a worker after a moment (so the harness is attached).
setTimeout(() => { console.error("worker boom"); postMessage("done"); }, 300);
