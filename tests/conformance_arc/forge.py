"""Builds DKIM signatures and ARC sets for Moat's conformance tests, then breaks them one tag
at a time and signs the broken field again, so that only the broken rule — not a bad
signature — can make a verifier refuse it.

The valid field comes from dkimpy (dkim.sign / dkim.arc_sign); the broken copy is signed
again here with dkimpy's RSA and canonicalization code.

    python3 forge.py dkim KEY SELECTOR DOMAIN MUTATION [ALG]        < message > signed
    python3 forge.py arc  KEY SELECTOR DOMAIN SRV_ID MUTATION       < message > sealed
    python3 forge.py verify-arc KEYRECORD                           < message   (prints cv)
    python3 forge.py pubkey KEY                                     (prints p= base64)
    python3 forge.py batch   < JSON list of {"args": [...], "input": [bytes]}
                             > JSON list of outputs as byte arrays (one process for many jobs)

MUTATION is `none` or FIELD:OP[:TAG[:VALUE]], FIELD one of dkim, ams, seal, aar, set:
  drop:T  empty:T  set:T:V  dup:T  upper:T  emptyspec  add_h:NAME  (set:drop_ams)
"""
import base64
import hashlib
import json
import re
import subprocess
import sys

import dkim
from dkim.canonicalization import Relaxed
from dkim.crypto import RSASSA_PKCS1_v1_5_sign, parse_pem_private_key


def split_message(message):
    head, _, body = message.partition(b"\r\n\r\n")
    fields = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += b"\r\n" + line
        else:
            name, _, value = line.partition(b":")
            fields.append([name, value])
    return fields, body


def tags_of(value):
    """dkimpy's own field, as an ordered list of [name, value] (unfolded)."""
    value = re.sub(rb"\r\n[ \t]+", b" ", value)
    out = []
    for spec in value.split(b";"):
        if spec.strip():
            name, _, v = spec.partition(b"=")
            out.append([name.strip(), re.sub(rb"\s+", b"", v) if name.strip() in (b"b", b"bh") else v.strip()])
    return out


def get(tags, name):
    for n, v in tags:
        if n == name:
            return v
    return None


def mutate(tags, op, args):
    """Applies one mutation; returns the extra text to put before b= (for `emptyspec`)."""
    if op == "drop":
        tags[:] = [t for t in tags if t[0] != args[0].encode()]
    elif op == "empty":
        for t in tags:
            if t[0] == args[0].encode():
                t[1] = b""
    elif op == "set":
        name, value = args[0].encode(), args[1].encode()
        if get(tags, name) is None:
            tags.insert(len(tags) - 1, [name, value])
        for t in tags:
            if t[0] == name:
                t[1] = value
    elif op == "dup":
        i = next(i for i, t in enumerate(tags) if t[0] == args[0].encode())
        tags.insert(i + 1, list(tags[i]))
    elif op == "upper":
        for t in tags:
            if t[0] == args[0].encode():
                t[0] = t[0].upper()
    elif op == "add_h":
        for t in tags:
            if t[0] == b"h":
                t[1] += b":" + args[0].encode()
    elif op == "emptyspec":
        return b";"
    elif op != "none":
        sys.exit("unknown mutation " + op)
    return b""


def serialize(tags, extra, b_value):
    """One line: `n=v; …; b=…`, with the signature's b= (the first one) set to b_value."""
    parts, done = [], False
    for n, v in tags:
        if n == b"b" and not done:
            parts.append(extra + b" b=" + b_value if extra else b"b=" + b_value)
            done = True
        else:
            parts.append(n + b"=" + v)
    return b" " + b"; ".join(parts)


def hash_name(tags):
    return "sha1" if get(tags, b"a") == b"rsa-sha1" else "sha256"


def relaxed(name, value):
    [(n, v)] = Relaxed.canonicalize_headers([(name, value)])
    return n + b":" + v


def select(fields, h):
    """The fields h= names, bottom-up for repeated names (RFC 6376 5.4.2)."""
    picked, last = [], {}
    for name in [x.strip().lower() for x in h.split(b":")]:
        i = last.get(name, len(fields))
        while i > 0:
            i -= 1
            if fields[i][0].strip().lower() == name:
                picked.append(fields[i])
                break
        last[name] = i
    return picked


def sign(key, tags, extra, name, hashed_fields):
    """Signs `name` (tags, b= emptied) after `hashed_fields`; returns the field's value."""
    alg = hash_name(tags)
    h = hashlib.new(alg)
    for n, v in hashed_fields:
        h.update(relaxed(n, v))
    h.update(relaxed(name, serialize(tags, extra, b"")).rstrip(b"\r\n"))
    sig = RSASSA_PKCS1_v1_5_sign(h, parse_pem_private_key(key))
    return serialize(tags, extra, base64.b64encode(sig))


def body_hash(body, tags):
    h = hashlib.new(hash_name(tags))
    h.update(Relaxed.canonicalize_body(body))
    return base64.b64encode(h.digest())


def instance(value):
    m = re.search(rb"(?:^|;)\s*i\s*=\s*(\d+)", value)
    return int(m.group(1)) if m else 0


def parse_mutation(text):
    if text == "none":
        return None, "none", []
    field, op, *args = text.split(":")
    return field, op, args


def run(argv, message):
    mode = argv[0]
    if mode == "pubkey":
        der = subprocess.run(["openssl", "rsa", "-pubout", "-outform", "DER", "-in", argv[1]],
                             capture_output=True, check=True).stdout
        return base64.b64encode(der) + b"\n"
    if mode == "verify-arc":
        # Only the forwarder's key exists, as in Moat's test zone.
        record = argv[1].encode()
        def dnsfunc(name, timeout=5):
            return record if name.lower() == b"arc._domainkey.forward.test." else None
        cv, _, why = dkim.arc_verify(message, dnsfunc=dnsfunc)
        return (cv or b"fail") + b" " + str(why).encode() + b"\n"
    key = open(argv[1], "rb").read()
    selector, domain = argv[2].encode(), argv[3].encode()
    if mode == "dkim":
        field, op, args = parse_mutation(argv[4])
        alg = argv[5].encode() if len(argv) > 5 else b"rsa-sha256"
        if alg == b"rsa-sha1":
            # dkimpy signs rsa-sha1 when asked; the field is its own, unchanged.
            out = dkim.sign(message, selector, domain, key, signature_algorithm=alg,
                            canonicalize=(b"relaxed", b"relaxed"),
                            include_headers=[b"from", b"to", b"subject", b"date"])
            return out + message
        fields, body = split_message(message)
        tags = [[b"v", b"1"], [b"a", b"rsa-sha256"], [b"c", b"relaxed/relaxed"], [b"d", domain],
                [b"s", selector], [b"h", b"from:to:subject:date"], [b"bh", b""], [b"b", b""]]
        extra = mutate(tags, op, args) if field == "dkim" else b""
        if get(tags, b"bh") == b"" and not (op in ("empty", "set") and args[0] == "bh"):
            for t in tags:
                if t[0] == b"bh":
                    t[1] = body_hash(body, tags)
        h = get(tags, b"h") or b""
        value = sign(key, tags, extra, b"DKIM-Signature", select(fields, h))
        return b"DKIM-Signature:" + value + b"\r\n" + message
    if mode != "arc":
        sys.exit("unknown mode " + mode)
    srv_id = argv[4].encode()
    field, op, args = parse_mutation(argv[5])
    aar, ams, seal = [f.partition(b":")[2].rstrip(b"\r\n")
                      for f in dkim.arc_sign(message, selector, domain, key, srv_id)[::-1]]
    fields, body = split_message(message)
    aar_field = [b"ARC-Authentication-Results", aar]
    if field == "aar":
        if op == "set" and args[0] == "i":
            aar_field[1] = re.sub(rb"i=\d+", b"i=" + args[1].encode(), aar, count=1)
        elif op == "drop" and args[0] == "i":
            aar_field[1] = re.sub(rb"\s*i=\d+;", b"", aar, count=1)
    ams_tags = tags_of(ams)
    ams_extra = mutate(ams_tags, op, args) if field == "ams" else b""
    if field == "ams" and not (args and args[0] in ("b", "bh")):
        if get(ams_tags, b"a") == b"rsa-sha1":
            for t in ams_tags:
                if t[0] == b"bh":
                    t[1] = body_hash(body, ams_tags)
        signed = select([aar_field] + fields, get(ams_tags, b"h") or b"")
        ams_value = sign(key, ams_tags, ams_extra, b"ARC-Message-Signature", signed)
    else:
        ams_value = serialize(ams_tags, ams_extra, get(ams_tags, b"b") or b"")
    ams_field = [b"ARC-Message-Signature", ams_value]
    seal_tags = tags_of(seal)
    seal_extra = mutate(seal_tags, op, args) if field == "seal" else b""
    # The seal covers every earlier set (AAR, AMS, AS by instance), then this one.
    earlier = sorted((f for f in fields if f[0].lower().startswith(b"arc-")),
                     key=lambda f: (instance(f[1]), [b"arc-authentication-results",
                                                     b"arc-message-signature",
                                                     b"arc-seal"].index(f[0].lower())))
    this = [aar_field] if field == "set" and op == "drop_ams" else [aar_field, ams_field]
    if field == "seal" and args and args[0] == "b":
        seal_value = serialize(seal_tags, seal_extra, get(seal_tags, b"b") or b"")
    else:
        seal_value = sign(key, seal_tags, seal_extra, b"ARC-Seal", earlier + this)
    new = [[b"ARC-Seal", seal_value]] + this[::-1]
    if field == "set" and op == "dup":
        new = new + new
    out = b"".join(n + b":" + v + b"\r\n" for n, v in new)
    return out + message


def main():
    if sys.argv[1] == "batch":
        jobs = json.load(sys.stdin)
        outs = [list(run(j["args"], bytes(j["input"]))) for j in jobs]
        json.dump(outs, sys.stdout)
    else:
        message = b"" if sys.argv[1] == "pubkey" else sys.stdin.buffer.read()
        sys.stdout.buffer.write(run(sys.argv[1:], message))


main()
