package geodata

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"watchfloor/command/fault"
	"watchfloor/command/web/rest"
	"watchfloor/config"
)

// baseMapPath is where the pages read the PMTiles archive, by HTTP range requests.
const baseMapPath = "/tiles/base.pmtiles"

// baseMap serves byte ranges of the configured PMTiles archive (map.base),
// which the page's renderer reads like a static file. It needs no session:
// the archive is public geography, and the map shows before sign-in.
func (a *handlers) baseMap(c *fiber.Ctx) error {
	b := a.Config.Map.Base
	if b.Kind != config.BasePMTiles {
		return rest.Problem(c, 404, "not-found", "no base-map archive is configured (map.base.kind is not pmtiles)", nil)
	}
	f, err := os.Open(b.Archive)
	if errors.Is(err, fs.ErrNotExist) {
		return rest.Problem(c, 404, "not-found", "the base-map archive has not been built: run watchfloor tiles (make run does)", nil)
	}
	if err != nil {
		return fmt.Errorf("opening the base-map archive: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("reading the base-map archive: %w", err)
	}
	size := st.Size()
	etag := fmt.Sprintf(`"%x-%x"`, size, st.ModTime().UnixNano())
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderContentType, "application/vnd.pmtiles")
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && (inm == etag || inm == "*") {
		f.Close()
		return c.SendStatus(fiber.StatusNotModified)
	}
	start, end, partial, err := byteRange(c.Get(fiber.HeaderRange), size)
	if err != nil {
		f.Close()
		var inv *fault.Invalid
		if errors.As(err, &inv) {
			return err
		}
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", size))
		return rest.Problem(c, 416, "range", err.Error(), []fault.FieldError{{Field: "Range", Message: err.Error()}})
	}
	if partial {
		c.Status(fiber.StatusPartialContent)
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", start, end, size))
	}
	n := end - start + 1
	c.Context().SetBodyStream(closingSection{io.NewSectionReader(f, start, n), f}, int(n))
	return nil
}

// closingSection closes the archive once fasthttp has sent the range.
type closingSection struct {
	*io.SectionReader
	f *os.File
}

func (s closingSection) Close() error { return s.f.Close() }

// errUnsatisfiable is a range that lies outside the archive.
type errUnsatisfiable string

func (e errUnsatisfiable) Error() string { return string(e) }

// byteRange parses a single-range Range header ("bytes=a-b", "bytes=a-",
// "bytes=-n") against size; no header means the whole file. A malformed
// header is invalid input (400), a range past the end unsatisfiable (416).
func byteRange(h string, size int64) (start, end int64, partial bool, err error) {
	if h == "" {
		return 0, size - 1, false, nil
	}
	bad := func(msg string) error {
		return &fault.Invalid{Errors: []fault.FieldError{{Field: "Range", Message: msg}}}
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok {
		return 0, 0, false, bad("must be bytes=START-END")
	}
	if strings.Contains(spec, ",") {
		return 0, 0, false, bad("only one range per request")
	}
	from, to, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, 0, false, bad("must be bytes=START-END")
	}
	num := func(s string) (int64, bool) {
		v, err := strconv.ParseInt(s, 10, 64)
		return v, err == nil && v >= 0
	}
	switch {
	case from == "":
		n, ok := num(to)
		if !ok {
			return 0, 0, false, bad("the suffix length must be a number of bytes")
		}
		if n == 0 || size == 0 {
			return 0, 0, false, errUnsatisfiable(fmt.Sprintf("an empty suffix of a %d-byte archive", size))
		}
		return max(0, size-n), size - 1, true, nil
	default:
		s, ok := num(from)
		if !ok {
			return 0, 0, false, bad("the start must be a number of bytes")
		}
		e := size - 1
		if to != "" {
			if e, ok = num(to); !ok || e < s {
				return 0, 0, false, bad("the end must be a number of bytes not before the start")
			}
		}
		if s >= size {
			return 0, 0, false, errUnsatisfiable(fmt.Sprintf("the range starts at %d, past the archive's %d bytes", s, size))
		}
		return s, min(e, size-1), true, nil
	}
}

// BaseMapConfig is what GET /api/v1/config tells the pages about the base
// map: its kind and datum, and where to read it (no url for an archive
// that is not there).
func BaseMapConfig(b config.BaseMap) fiber.Map {
	out := fiber.Map{"kind": b.Kind, "datum": b.Datum(), "max_zoom": b.MaxZoom, "attribution": b.Attribution}
	switch b.Kind {
	case config.BasePMTiles:
		// Without its archive (not built yet) the pages draw the grids alone.
		if st, err := os.Stat(b.Archive); err == nil && st.Mode().IsRegular() {
			out["url"] = baseMapPath
		}
	case config.BaseTianditu:
		k := url.QueryEscape(b.Key)
		wmts := "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + k
		out["tiles"] = []string{fmt.Sprintf(wmts, "vec", "vec"), fmt.Sprintf(wmts, "cva", "cva")}
		out["subdomains"] = "01234567"
	case config.BaseAmap:
		out["tiles"] = []string{"https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"}
		out["subdomains"] = "1234"
	}
	return out
}

// contentSecurity is the pages' Content-Security-Policy: images only from
// the server itself, plus the online base map's hosts (and the legacy
// map.tile_url's origin) when one is configured.
func ContentSecurity(m config.Map) string {
	img := []string{"'self'", "data:"}
	img = append(img, m.Base.ImageHosts()...)
	// {s} (the subdomain) stands for any subdomain: parsed as a placeholder, allowed as *.
	if u, err := url.Parse(strings.ReplaceAll(m.TileURL, "{s}", "wf-sub")); err == nil && m.TileURL != "" && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		img = append(img, u.Scheme+"://"+strings.ReplaceAll(u.Host, "wf-sub", "*"))
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + strings.Join(img, " ") +
		"; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
}
