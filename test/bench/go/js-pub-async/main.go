// An async JetStream publisher written with the Go client (nats.go): the baseline the durability
// benchmark prints next to the app's own publishers. It publishes -msgs messages of -size bytes
// to -subject with -window PubAcks in flight (PublishAsync), waits for every PubAck and prints one
// JSON line: {"msgs":…,"ms":…,"msgs_per_sec":…,"errors":…}. The stream must exist.
//
// Built by test/bench/durability.bench.ts with the Debian packages golang-go and
// golang-github-nats-io-go-nats-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o out/bench/js-pub-async-go ./test/bench/go/js-pub-async
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
)

func main() {
	url := flag.String("server", nats.DefaultURL, "server URL")
	subject := flag.String("subject", "bench.go", "subject a stream captures")
	msgs := flag.Int("msgs", 100000, "messages to publish")
	size := flag.Int("size", 128, "payload bytes")
	window := flag.Int("window", 256, "PubAcks in flight at most")
	flag.Parse()

	nc, err := nats.Connect(*url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(1)
	}
	defer nc.Close()
	js, err := nc.JetStream(nats.PublishAsyncMaxPending(*window))
	if err != nil {
		fmt.Fprintln(os.Stderr, "jetstream:", err)
		os.Exit(1)
	}
	payload := make([]byte, *size)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	errors := 0
	futures := make([]nats.PubAckFuture, 0, *msgs)
	start := time.Now()
	for i := 0; i < *msgs; i++ {
		f, err := js.PublishAsync(*subject, payload)
		if err != nil {
			errors++
			continue
		}
		futures = append(futures, f)
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(60 * time.Second):
		fmt.Fprintln(os.Stderr, "PubAcks still missing after 60 s")
		os.Exit(1)
	}
	elapsed := time.Since(start)
	for _, f := range futures {
		select {
		case <-f.Ok():
		case <-f.Err():
			errors++
		}
	}
	out, _ := json.Marshal(map[string]interface{}{
		"msgs":         *msgs,
		"ms":           float64(elapsed.Microseconds()) / 1000,
		"msgs_per_sec": float64(*msgs) / elapsed.Seconds(),
		"errors":       errors,
	})
	fmt.Println(string(out))
}
