// A minimal orchestrator for the Syn_OS control center: it reports a service as started and then
// unhealthy, each as a CloudEvents 1.0 envelope published to JetStream with Nats-Msg-Id set to the
// envelope id, and waits for the engine's decision on orchestrator.consciousness.decision.
//
//	go run . -server nats://127.0.0.1:4222 -service payments
package main

import (
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
)

// Envelope is the CloudEvents 1.0 envelope (structured JSON mode) every Syn_OS message uses.
type Envelope struct {
	SpecVersion     string      `json:"specversion"`
	ID              string      `json:"id"`
	Source          string      `json:"source"`
	Type            string      `json:"type"`
	Time            string      `json:"time"`
	DataContentType string      `json:"datacontenttype"`
	Data            interface{} `json:"data"`
}

// newID returns a random UUID (version 4).
func newID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// publish wraps data in an envelope of the given type and publishes it on subject. The envelope id
// is also the Nats-Msg-Id header: JetStream stores a retried publish only once.
func publish(js nats.JetStreamContext, subject, eventType string, data interface{}) error {
	env := Envelope{
		SpecVersion:     "1.0",
		ID:              newID(),
		Source:          "example/go-orchestrator",
		Type:            eventType,
		Time:            time.Now().UTC().Format(time.RFC3339Nano),
		DataContentType: "application/json",
		Data:            data,
	}
	body, err := json.Marshal(env)
	if err != nil {
		return err
	}
	ack, err := js.Publish(subject, body, nats.MsgId(env.ID))
	if err != nil {
		return fmt.Errorf("publish %s: %w", subject, err)
	}
	fmt.Printf("published %s on %s: stream %s seq %d duplicate %v\n", eventType, subject, ack.Stream, ack.Sequence, ack.Duplicate)
	return nil
}

func main() {
	server := flag.String("server", nats.DefaultURL, "NATS server URL")
	service := flag.String("service", "payments", "the service to report")
	wait := flag.Duration("wait", 30*time.Second, "how long to wait for the engine's decision")
	flag.Parse()

	nc, err := nats.Connect(*server, nats.Name("example-go-orchestrator"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(1)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		fmt.Fprintln(os.Stderr, "jetstream:", err)
		os.Exit(1)
	}

	// What comes back: the engine's decisions, forwarded for the orchestrator.
	decisions, err := nc.SubscribeSync("orchestrator.consciousness.decision")
	if err != nil {
		fmt.Fprintln(os.Stderr, "subscribe:", err)
		os.Exit(1)
	}

	steps := []struct {
		subject, eventType string
		data               map[string]interface{}
	}{
		{"orchestrator.service.started", "service.lifecycle.started", map[string]interface{}{"service": *service, "instance": *service + "-1", "version": "2.4.1"}},
		{"orchestrator.service.health", "service.health.update", map[string]interface{}{"service": *service, "status": "unhealthy", "detail": "readiness probe failed 3 times"}},
	}
	for _, s := range steps {
		if err := publish(js, s.subject, s.eventType, s.data); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}

	deadline := time.Now().Add(*wait)
	for time.Now().Before(deadline) {
		msg, err := decisions.NextMsg(time.Until(deadline))
		if err != nil {
			break
		}
		var decision Envelope
		if err := json.Unmarshal(msg.Data, &decision); err != nil {
			continue
		}
		data, _ := decision.Data.(map[string]interface{})
		if data["target"] == *service {
			fmt.Printf("decision for %s: %v (confidence %v): %v\n", *service, data["action"], data["confidence"], data["rationale"])
			return
		}
	}
	fmt.Fprintln(os.Stderr, "no decision arrived: is a control center running (synos-cc run)?")
	os.Exit(1)
}
