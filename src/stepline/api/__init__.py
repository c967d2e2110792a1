"""The wire: AWS JSON 1.0 protocol, AWS error shapes, SigV4 verification."""
