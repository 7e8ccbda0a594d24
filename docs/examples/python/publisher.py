"""A minimal security publisher for the Syn_OS control center (nats-py: pip install nats-py).

Reports a threat against a service as a CloudEvents 1.0 envelope published to JetStream with
Nats-Msg-Id set to the envelope id, and waits for the engine's decision on
orchestrator.consciousness.decision.

    python3 publisher.py --server nats://127.0.0.1:4222 --target payments
"""

import argparse
import asyncio
import json
import sys
import uuid
from datetime import datetime, timezone

import nats
from nats.errors import TimeoutError as NatsTimeoutError


def envelope(event_type: str, data: dict) -> dict:
    """The CloudEvents 1.0 envelope (structured JSON mode) every Syn_OS message uses."""
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "example/python-security",
        "type": event_type,
        "time": datetime.now(timezone.utc).isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="nats://127.0.0.1:4222")
    parser.add_argument("--target", default="payments")
    parser.add_argument("--wait", type=float, default=30.0)
    args = parser.parse_args()

    nc = await nats.connect(args.server, name="example-python-security")
    js = nc.jetstream()

    # What comes back: the engine's decisions, forwarded for the orchestrator.
    decisions = await nc.subscribe("orchestrator.consciousness.decision")

    env = envelope(
        "security.threat.detected",
        {
            "threat_id": f"t-{uuid.uuid4().hex[:8]}",
            "severity": "high",
            "target": args.target,
            "category": "intrusion",
            "description": "port scan from 203.0.113.7",
            "source_ip": "203.0.113.7",
        },
    )
    # The envelope id is also the Nats-Msg-Id header: JetStream stores a retried publish only once.
    ack = await js.publish(
        "security.threat.detected",
        json.dumps(env).encode(),
        headers={"Nats-Msg-Id": env["id"]},
    )
    print(f"published security.threat.detected: stream {ack.stream} seq {ack.seq} duplicate {bool(ack.duplicate)}")

    loop = asyncio.get_running_loop()
    deadline = loop.time() + args.wait
    try:
        while loop.time() < deadline:
            msg = await decisions.next_msg(timeout=deadline - loop.time())
            data = json.loads(msg.data).get("data", {})
            if data.get("target") == args.target:
                print(f"decision for {args.target}: {data['action']} (confidence {data['confidence']}): {data['rationale']}")
                return 0
    except (asyncio.TimeoutError, NatsTimeoutError):
        pass
    finally:
        await nc.close()
    print("no decision arrived: is a control center running (synos-cc run)?", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
