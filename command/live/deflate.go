package live

import (
	"bytes"
	"sync"

	"github.com/klauspost/compress/flate"
)

// DeflateMin is the smallest message given a deflated form (a live one's
// shared, a snapshot's for its client): below it, compression saves a
// client little and costs the server a writer.
const DeflateMin = 1 << 10

// Deflated is a message's payload as permessage-deflate sends it (RFC
// 7692, no context takeover), made on first use; a published message's is
// shared by every socket that negotiated compression, so a frame to 200
// screens is compressed once, not 200 times.
type Deflated struct {
	src  []byte
	once sync.Once
	out  []byte
}

// NewDeflated defers compressing src (which must not change) to Bytes.
func NewDeflated(src []byte) *Deflated { return &Deflated{src: src} }

// Bytes is the compressed payload: a deflate stream ending with an empty
// stored block whose four bytes 00 00 ff ff are left off (RFC 7692 7.2.1);
// nil when it is no shorter than the message, which then goes as it is.
func (d *Deflated) Bytes() []byte {
	d.once.Do(func() {
		if z := deflate(d.src); len(z) < len(d.src) {
			d.out = z
		}
	})
	return d.out
}

// deflaters are the compressors, kept between messages since each holds
// tables of some hundred kilobytes. A cache, not state: any one will do,
// and Reset leaves nothing of the message before (no context takeover).
var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed) // never fails for a valid level
	return w
}}

// deflate compresses src at the fastest level, for a socket's frame.
func deflate(src []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(src)/4 + 64)
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(&buf)
	_, _ = w.Write(src) // a bytes.Buffer never fails
	_ = w.Flush()       // ends with the sync marker 00 00 ff ff
	return bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff}))
}
