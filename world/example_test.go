package world_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/snaprepo/conform/world"
)

// Load a world file (YAML or JSON, format of docs/world.md) and look instances up.
func ExampleLoad() {
	dir, _ := os.MkdirTemp("", "world")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "world.yaml")
	os.WriteFile(path, []byte(`region: cn-hangzhou
accounts:
  - id: "1638000000000001"
    accessKeys: [{id: LTAI5tExample, secret: example}]
instances:
  - {id: es-cn-dst, account: "1638000000000001", region: cn-hangzhou, version: 7.10.0_with_X-Pack}
  - {id: es-cn-src, account: "1638000000000001", region: cn-hangzhou, version: 7.9_with_X-Pack}
`), 0o644)

	w, err := world.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	v := w.Policy.Evaluate("es-cn-dst", w.Instance("es-cn-dst"), "es-cn-src", w.Instance("es-cn-src"))
	fmt.Println(len(w.Instances), w.Instance("es-cn-src").Status, v.Decision())
	// Output: 2 active compatible
}
