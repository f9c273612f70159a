package site

import (
	"slices"
	"testing"
)

// TestImportsOf: the imports the build finds in a script, comments aside.
func TestImportsOf(t *testing.T) {
	js := `// import "/in-a-comment.js";
/* export * from "/in-a-block.js"; */
import { Hearth } from "./hearth.js";
import Default, * as all from '../x.js';
import "/side.js";
export * from "./star.js";
export * as ns from "./ns.js";
export { a, b as c } from "./named.js";
const re = /import "\/not-a-url.js"/g, half = 4 / 2; // a regular expression
const s = "http://example/"; // a string with // in it
const later = () => import("./lazy.js");
const meta = import.meta.url;
obj.import("/method.js"); // not an import
`
	got, err := importsOf([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"./hearth.js", "../x.js", "/side.js", "./star.js", "./ns.js", "./named.js", "./lazy.js"}
	if !slices.Equal(got, want) {
		t.Errorf("imports %q, want %q", got, want)
	}
	if _, err := importsOf([]byte(`import(name)`)); err == nil {
		t.Error("import() of a variable accepted")
	}
}
