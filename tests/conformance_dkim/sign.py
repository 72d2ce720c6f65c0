"""Signs Moat's DKIM conformance messages with dkimpy (dkim.sign), one job per message.

    python3 sign.py < JSON list of {"args": [KEY, SELECTOR, DOMAIN, CANON, OPTION...],
                                    "input": [bytes]}
                    > JSON list of signed messages as byte arrays

CANON is HEADER/BODY (simple or relaxed). OPTIONs:
    l              add l= (the body length dkimpy signs)
    i=IDENTITY     the i= tag (AUID)
    h=A:B:C        the header fields to sign, in order (a name twice over-signs it)
"""
import json
import sys

import dkim


def sign(args, message):
    key = open(args[0], "rb").read()
    selector, domain = args[1].encode(), args[2].encode()
    header, body = args[3].encode().split(b"/")
    length, identity = False, None
    headers = [b"from", b"to", b"subject", b"date", b"message-id"]
    for option in args[4:]:
        if option == "l":
            length = True
        elif option.startswith("i="):
            identity = option[2:].encode()
        elif option.startswith("h="):
            headers = [h.encode() for h in option[2:].split(":")]
        else:
            sys.exit("unknown option " + option)
    signer = dkim.DKIM(message)
    # RFC 6376 A.2 signs Received; dkimpy refuses it unless told (its SHOULD NOT list).
    signer.should_not_sign.discard(b"received")
    field = signer.sign(selector, domain, key, identity=identity,
                        canonicalize=(header, body), include_headers=headers,
                        length=length)
    return field + message


def main():
    jobs = json.load(sys.stdin)
    json.dump([list(sign(j["args"], bytes(j["input"]))) for j in jobs], sys.stdout)


main()
