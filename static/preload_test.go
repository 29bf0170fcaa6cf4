package static

import (
	"io/fs"
	"path"
	"regexp"
	"slices"
	"testing"
)

// TestPagesPreloadTheirModules: each page names every module its entry
// imports, directly or through others, as a modulepreload, and no other.
// Without them a browser finds a page's modules one import level a round
// trip at a time (eight or nine levels deep): on a responder's mobile link
// that is seconds before the page works, and again each time the cache
// asks whether they changed.
func TestPagesPreloadTheirModules(t *testing.T) {
	entry := regexp.MustCompile(`<script type="module" src="/([^"]+)"></script>`)
	preload := regexp.MustCompile(`<link rel="modulepreload" href="/([^"]+)">`)
	// from './x.js', import './x.js', import('./x.js'); either quote.
	imports := regexp.MustCompile(`(?:from|import)\s*\(?\s*['"](\.{1,2}/[^'"]+)['"]`)
	pages, err := fs.Glob(FS, "*.html")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages: %v", err)
	}
	for _, page := range pages {
		html, err := fs.ReadFile(FS, page)
		if err != nil {
			t.Fatal(err)
		}
		m := entry.FindSubmatch(html)
		if m == nil {
			t.Errorf("%s: no module entry", page)
			continue
		}
		graph := map[string]bool{}
		stack := []string{string(m[1])}
		for len(stack) > 0 {
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if graph[f] {
				continue
			}
			graph[f] = true
			src, err := fs.ReadFile(FS, f)
			if err != nil {
				t.Errorf("%s: %s is imported but not served: %v", page, f, err)
				continue
			}
			for _, im := range imports.FindAllSubmatch(src, -1) {
				stack = append(stack, path.Join(path.Dir(f), string(im[1])))
			}
		}
		delete(graph, string(m[1])) // the entry is fetched by its own tag
		var want, got []string
		for f := range graph {
			want = append(want, f)
		}
		for _, l := range preload.FindAllSubmatch(html, -1) {
			got = append(got, string(l[1]))
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s preloads\n%v\nbut its entry imports\n%v", page, got, want)
		}
	}
}
