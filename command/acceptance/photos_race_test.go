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
// nothing behind.
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
}
