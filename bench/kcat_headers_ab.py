#!/usr/bin/python3
"""What newsd's six CloudEvents headers cost librdkafka: kcat produces 200,000 records of
newsd's shape (key + JSON value) without and then with the six headers, alternated for
--rounds rounds, each into a new topic of a fresh single-node broker (acks=all, idempotence,
linger.ms=5, as in polling_bench.py). Round 0 includes the broker's warm-up.

    bench/kcat_headers_ab.py [--rounds 3] [--records 200000]"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import polling_bench as pb  # noqa: E402

HEADERS = ["ce_specversion=1.0", "ce_id=s00001/urn:bench:1:1:1",
           "ce_source=http://127.0.0.1:1/f/00001.xml", "ce_type=newsd.post.v1",
           "ce_time=2026-11-23T18:00:00Z", "content-type=application/json"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--records", type=int, default=200000)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="newsd-kcat-")
    kafka_dir = os.path.join(work, "kafka")
    try:
        brokers = subprocess.run([pb.KAFKA_SCRIPT, "start", kafka_dir], check=True,
                                 capture_output=True, text=True, timeout=180).stdout.split()[-1]
        dump = os.path.join(work, "records.tsv")
        with open(dump, "w") as f:
            for i in range(args.records):
                key = f"urn:bench:{i // 20}:1:{i % 20}"
                value = json.dumps({
                    "id": key, "source": f"s{i // 20:05d}",
                    "title": f"Source {i // 20} post {i % 20} of version 1",
                    "url": f"http://bench.invalid/{i // 20}/1/{i % 20}",
                    "body_text": "A short summary of the kind feeds carry, with a few words more "
                                 "so that the record has a realistic size. " * 3,
                    "content_sha256": "a" * 64, "fetched_at": "2026-11-23T18:00:00Z"})
                f.write(f"{key}\t{value}\n")
        for r in range(args.rounds):
            for name, headers in (("plain", ()), ("headers", HEADERS)):
                topic = f"ab.{name}.{r}"
                pb.ensure_topic(brokers, topic)
                took = pb.kcat_produce(brokers, topic, dump, headers)
                print(f"round {r} {name}: {args.records / took:.0f} posts/s ({took:.2f} s)",
                      flush=True)
    finally:
        subprocess.run([pb.KAFKA_SCRIPT, "stop", kafka_dir], capture_output=True, timeout=120)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
