// The floor under `synos-cc bench pipeline`: the same JetStream traffic per event with nothing in
// between, written with the Go client (nats.go). Each input is published on -prefix.in at -rate
// per second (0: flat out with -window events not yet done) into a file stream, read by a durable
// consumer with the product's inbound limits (explicit ack, max_ack_pending 1000), and answered by
// -outputs JetStream publishes of -out-size bytes with a Nats-Msg-Id and one more header
// (PublishAsync), then acked. An event is done when its ack is sent and every output's PubAck is in,
// as the pipeline bench counts it; there is no validation, engine, SQLite or outbox. What the app
// adds on top of this floor is its own cost; what the floor shows is the server's and machine's.
//
// It makes its stream (FLOOR_<pid>, subjects -prefix.>; file storage, -memory for memory storage,
// which tells what the server's disk adds) and removes it at the end, and prints one
// JSON line: {"events":…,"ms":…,"events_per_sec":…,"p50_ms":…,"p99_ms":…,"max_ms":…,"errors":…}.
//
// Built by test/bench/durability.bench.ts with the Debian packages golang-go and
// golang-github-nats-io-go-nats-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o out/bench/pipeline-floor-go ./test/bench/go/pipeline-floor
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

func fail(what string, err error) {
	fmt.Fprintln(os.Stderr, what+":", err)
	os.Exit(1)
}

func main() {
	url := flag.String("server", nats.DefaultURL, "server URL")
	prefix := flag.String("prefix", "floor", "subject prefix (the stream takes prefix.>)")
	events := flag.Int("events", 5000, "input events")
	rate := flag.Int("rate", 1000, "input events per second; 0: flat out")
	window := flag.Int("window", 256, "flat out: events not yet done at most")
	size := flag.Int("size", 236, "input bytes")
	outputs := flag.Int("outputs", 6, "outputs per input")
	outSize := flag.Int("out-size", 360, "output bytes")
	memory := flag.Bool("memory", false, "memory storage instead of file")
	flag.Parse()

	// Two connections, as the bench has: one publishes the inputs, the other is the app.
	gen, err := nats.Connect(*url)
	if err != nil {
		fail("connect", err)
	}
	defer gen.Close()
	nc, err := nats.Connect(*url)
	if err != nil {
		fail("connect", err)
	}
	defer nc.Close()
	js, err := nc.JetStream(nats.PublishAsyncMaxPending(1024))
	if err != nil {
		fail("jetstream", err)
	}
	stream := "FLOOR_" + strconv.Itoa(os.Getpid())
	storage := nats.FileStorage
	if *memory {
		storage = nats.MemoryStorage
	}
	if _, err := js.AddStream(&nats.StreamConfig{Name: stream, Subjects: []string{*prefix + ".>"}, Storage: storage}); err != nil {
		fail("add stream", err)
	}
	defer func() { _ = js.DeleteStream(stream) }()

	n := *events
	sent := make([]int64, n)
	done := make([]int64, n)
	var mu sync.Mutex
	finished := 0
	errors := 0
	all := make(chan struct{})
	slots := make(chan struct{}, *window)
	payload := make([]byte, *outSize)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}

	_, err = js.Subscribe(*prefix+".in", func(m *nats.Msg) {
		i := int(binary.BigEndian.Uint64(m.Data[:8]))
		futures := make([]nats.PubAckFuture, 0, *outputs)
		for k := 0; k < *outputs; k++ {
			out := nats.NewMsg(*prefix + ".out." + strconv.Itoa(k))
			out.Header.Set(nats.MsgIdHdr, strconv.Itoa(i)+"-"+strconv.Itoa(k))
			out.Header.Set("Synos-Epoch", "1")
			out.Data = payload
			f, err := js.PublishMsgAsync(out)
			if err != nil {
				mu.Lock()
				errors++
				mu.Unlock()
				continue
			}
			futures = append(futures, f)
		}
		if err := m.Ack(); err != nil {
			mu.Lock()
			errors++
			mu.Unlock()
		}
		go func() {
			bad := 0
			for _, f := range futures {
				select {
				case <-f.Ok():
				case <-f.Err():
					bad++
				}
			}
			now := time.Now().UnixNano()
			mu.Lock()
			errors += bad
			done[i] = now
			finished++
			last := finished == n
			mu.Unlock()
			if *rate == 0 {
				<-slots
			}
			if last {
				close(all)
			}
		}()
	}, nats.Durable("floor"), nats.ManualAck(), nats.AckExplicit(), nats.MaxAckPending(1000),
		nats.AckWait(30*time.Second), nats.MaxDeliver(10), nats.DeliverNew())
	if err != nil {
		fail("subscribe", err)
	}

	input := make([]byte, *size)
	for i := 8; i < len(input); i++ {
		input[i] = 'x'
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if *rate > 0 {
			due := start.Add(time.Duration(i) * time.Second / time.Duration(*rate))
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
		} else {
			slots <- struct{}{}
		}
		msg := make([]byte, len(input))
		copy(msg, input)
		binary.BigEndian.PutUint64(msg, uint64(i))
		sent[i] = time.Now().UnixNano()
		if err := gen.Publish(*prefix+".in", msg); err != nil {
			fail("publish", err)
		}
	}
	select {
	case <-all:
	case <-time.After(60 * time.Second):
		fmt.Fprintln(os.Stderr, "events still not done after 60 s:", n-finished)
		os.Exit(1)
	}
	elapsed := time.Since(start)
	lat := make([]float64, n)
	for i := 0; i < n; i++ {
		lat[i] = float64(done[i]-sent[i]) / 1e6
	}
	sort.Float64s(lat)
	at := func(q float64) float64 { return lat[int(q*float64(n-1))] }
	out, _ := json.Marshal(map[string]interface{}{
		"events":         n,
		"ms":             float64(elapsed.Microseconds()) / 1000,
		"events_per_sec": float64(n) / elapsed.Seconds(),
		"p50_ms":         at(0.5),
		"p99_ms":         at(0.99),
		"max_ms":         lat[n-1],
		"errors":         errors,
	})
	fmt.Println(string(out))
}
