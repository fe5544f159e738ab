package messagebench

import (
	"runtime"
	"testing"
)

// BenchmarkParse parses the whole corpus once per iteration with each
// implementation. Besides the usual figures (B/op and allocs/op are per
// corpus pass) it reports msgs/s, allocs/msg and B/msg. An implementation
// stops early on a message it rejects, so compare with BenchmarkParseFair
// too.
func BenchmarkParse(b *testing.B) {
	benchImpls(b, loadCorpus(b))
}

// BenchmarkParseFair is BenchmarkParse over the messages go-message
// accepts, which every implementation reads to the end.
func BenchmarkParseFair(b *testing.B) {
	var fair []message
	for _, m := range loadCorpus(b) {
		if impls[0].parse(m.data, discardLeaf).err == nil {
			fair = append(fair, m)
		}
	}
	benchImpls(b, fair)
}

func benchImpls(b *testing.B, msgs []message) {
	size := totalBytes(msgs)
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			n := 0
			for b.Loop() {
				for _, m := range msgs {
					im.parse(m.data, discardLeaf)
				}
				n++
			}
			runtime.ReadMemStats(&after)
			parsed := float64(n * len(msgs))
			b.ReportMetric(parsed/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/parsed, "allocs/msg")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/parsed, "B/msg")
		})
	}
}
