package acceptance_test

import (
	"bytes"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"watchfloor/config"
)

// uploadPhoto posts data as a case's photo and returns the status code.
func (h *harness) uploadPhoto(tok, id string, data []byte) int {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("photo", "p.png")
	_, _ = fw.Write(data)
	_ = w.Close()
	req, _ := http.NewRequest("POST", h.base+"/api/v1/cases/"+id+"/photos", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// Uploads racing for one case leave exactly one file per accepted photo on
// disk, and never more than the 20 a case holds: a refused upload leaves
// nothing behind, and an upload for a case that does not exist, or that
// the caller may not see, writes nothing at all.
func TestPhotoRaceLeavesNoFiles(t *testing.T) {
	dataDir := t.TempDir()
	h := newHarness(t, func(c *config.Config) { c.DataDir = dataDir })
	op := h.token("operator")
	id := h.createCase(op, hubeiHazard("照片竞争"))
	var img bytes.Buffer
	_ = png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 8, 8)))
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := h.uploadPhoto(op, id, img.Bytes())
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	var cs struct{ Photos []struct{ N int } }
	_, b := h.do("GET", "/api/v1/cases/"+id, op, nil)
	mustJSON(t, b, &cs)
	files, _ := os.ReadDir(filepath.Join(dataDir, "cases", id))
	t.Logf("answers %v, %d photos recorded, %d files on disk", codes, len(cs.Photos), len(files))
	if codes[201] != len(cs.Photos) {
		t.Errorf("%d uploads got 201 but the case records %d photos", codes[201], len(cs.Photos))
	}
	if len(cs.Photos) > 20 {
		t.Errorf("the case holds %d photos, more than 20", len(cs.Photos))
	}
	if len(files) != len(cs.Photos) {
		t.Errorf("%d files on disk for %d accepted photos: refused uploads left files", len(files), len(cs.Photos))
	}
	for code, n := range codes {
		if code != 201 && code != 409 {
			t.Errorf("%d uploads answered %d (want 201 or 409)", n, code)
		}
	}
	for i, p := range cs.Photos {
		if p.N != i+1 {
			t.Errorf("photo %d numbered %d", i+1, p.N)
		}
	}
	// Checked before the disk is touched: no directory for an unknown case,
	// and none for a case of another area.
	if code := h.uploadPhoto(op, "C-NOPE", img.Bytes()); code != 404 {
		t.Errorf("an upload for no case: %d", code)
	}
	chengdong := h.createCase(op, map[string]any{"kind": "hazard", "title": "城东", "location": map[string]float64{"lon": 114.12369, "lat": 22.55413}})
	if code := h.uploadPhoto(h.token("hubei-operator"), chengdong, img.Bytes()); code != 404 {
		t.Errorf("an upload for another area's case: %d", code)
	}
	entries, _ := os.ReadDir(filepath.Join(dataDir, "cases"))
	for _, e := range entries {
		if e.Name() != id {
			t.Errorf("an upload left the directory %s", e.Name())
		}
	}
	if files, _ := os.ReadDir(filepath.Join(dataDir, "cases", id)); len(files) != len(cs.Photos) {
		t.Errorf("%d files on disk for %d photos after the refused uploads", len(files), len(cs.Photos))
	}
}
