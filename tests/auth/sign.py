"""Independent DKIM / ARC signer for Moat's tests (dkimpy).

    python3 sign.py dkim KEY SELECTOR DOMAIN        < message > signed
    python3 sign.py arc  KEY SELECTOR DOMAIN SRV_ID < message > sealed
"""
import sys

import dkim

mode, key_path, selector, domain = sys.argv[1:5]
message = sys.stdin.buffer.read()
with open(key_path, "rb") as f:
    key = f.read()
if mode == "dkim":
    headers = [b"from", b"to", b"subject", b"date", b"message-id"]
    out = dkim.sign(message, selector.encode(), domain.encode(), key,
                    canonicalize=(b"relaxed", b"relaxed"), include_headers=headers)
    sys.stdout.buffer.write(out + message)
elif mode == "arc":
    seal = dkim.arc_sign(message, selector.encode(), domain.encode(), key, sys.argv[5].encode())
    if not seal:
        sys.exit("arc_sign produced nothing (no Authentication-Results for the srv_id?)")
    sys.stdout.buffer.write(b"".join(seal) + message)
else:
    sys.exit("unknown mode " + mode)
