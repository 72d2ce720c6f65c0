#!/usr/bin/env python3
"""Verdict parity and throughput of Moat's doors (issue 20) on stored messages.

    scripts/doors_bench.py [--moat BIN] [--parity] [--load N] [--concurrency C]
                           [--rspamd HOST:PORT] DIR_OR_FILE...

Starts `moat serve` (SMTP, milter and scan API on loopback; Postfix's smtp-sink as the
backend; auth, DNS lists and the classifier off, so nothing leaves the machine) and:

--parity  sends every message once through SMTP (`moat serve`), the milter and the scan API
          with the same envelope, runs `moat scan --json` with that envelope, and compares
          action and score (to 0.1, as X-Spam-Score writes it). Messages SMTP refuses before
          the verdict (framing: a line over the limit …) are counted apart.
--load N  sends N messages (cycling over the files) through each door, C at a time, and
          prints messages/s and latency p50/p99 per door, in one run. With --rspamd, rspamd's
          own /checkv2 at HOST:PORT is measured on the same messages too.

Messages are normalised once to what SMTP would carry: an mbox `From ` line dropped, CRLF line
ends. The development corpus is what scripts/corpus.sh extracts (spam-1, easy-ham-1,
hard-ham-dev under $MOAT_CORPUS_DIR).
"""
import argparse, json, os, re, shutil, smtplib, socket, struct, subprocess, sys, tempfile, threading, time
import http.client
from concurrent.futures import ThreadPoolExecutor

HELO, FROM, RCPT, IP = "client.origin.test", "sender@origin.test", "alice@example.test", "127.0.0.1"


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def normalise(raw):
    if raw.startswith(b"From "):
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    if not raw.endswith(b"\r\n"):
        raw += b"\r\n"
    return raw


def messages(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p))
        else:
            files.append(p)
    return [(f, normalise(open(f, "rb").read())) for f in files if os.path.isfile(f)]


# --- the milter, MTA side -------------------------------------------------------------
def pk(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def read_packet(s):
    head = b""
    while len(head) < 4:
        chunk = s.recv(4 - len(head))
        if not chunk:
            raise IOError("milter closed")
        head += chunk
    n = struct.unpack(">I", head)[0]
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise IOError("milter closed")
        data += chunk
    return data[:1], data[1:]


def ask(s, cmd, data=b""):
    s.sendall(pk(cmd, data))
    while True:
        c, d = read_packet(s)
        if c not in (b"h", b"i", b"m", b"q"):
            return c, d


def milter_send(addr, msg):
    s = socket.create_connection(addr)
    # Header packets go out without waiting for a reply (SMFIP_NR_HDR): Nagle would hold them.
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        # As Postfix does: offer SMFIP_NR_HDR (no reply per header) and HDR_LEADSPC.
        c, d = ask(s, b"O", struct.pack(">III", 6, 0x1FF, 0x80 | 0x100000))
        quiet = struct.unpack(">III", d[:12])[2] & 0x80
        ask(s, b"C", b"client\x004\x00\x19" + IP.encode() + b"\x00")
        ask(s, b"H", HELO.encode() + b"\x00")
        ask(s, b"M", b"<" + FROM.encode() + b">\x00")
        ask(s, b"R", b"<" + RCPT.encode() + b">\x00")
        head, _, body = msg.partition(b"\r\n\r\n")
        fields = []
        for line in head.split(b"\r\n"):
            if line[:1] in (b" ", b"\t") and fields:
                fields[-1][1] += b"\n" + line
            elif b":" in line:
                n, v = line.split(b":", 1)
                fields.append([n, v.lstrip(b" ")])
        for n, v in fields:
            data = n + b"\x00" + b" " + v + b"\x00"
            if quiet:
                s.sendall(pk(b"L", data))
            else:
                ask(s, b"L", data)
        ask(s, b"N")
        for i in range(0, len(body), 65535):
            c, _ = ask(s, b"B", body[i:i + 65535])
            if c != b"c":
                return c
        c, _ = ask(s, b"E")
        s.sendall(pk(b"Q"))
        return c
    finally:
        s.close()


def api_send(addr, msg, path="/checkv2"):
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=60)
    c.request("POST", path, body=msg, headers={"IP": IP, "Helo": HELO, "From": FROM, "Rcpt": RCPT})
    r = c.getresponse()
    body = r.read()
    c.close()
    return json.loads(body) if r.status == 200 else {"status": r.status}


def smtp_send(addr, msg):
    with smtplib.SMTP(addr[0], addr[1], local_hostname=HELO, timeout=60) as s:
        try:
            s.sendmail(FROM, [RCPT], msg)
            return 250
        except smtplib.SMTPResponseException as e:
            return e.smtp_code
        except smtplib.SMTPRecipientsRefused:
            return 550


# --- Moat -------------------------------------------------------------------------------
class Moat:
    def __init__(self, binary, tmp):
        self.smtp, self.api, self.milter, sink = free_port(), free_port(), free_port(), free_port()
        args = ["smtp-sink", "-c"] + (["-u", "nobody"] if os.geteuid() == 0 else []) + [f"127.0.0.1:{sink}", "1000"]
        self.sink = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.config = os.path.join(tmp, "moat.yaml")
        open(self.config, "w").write(
            f"hostname: mx.bench.test\nlisten: [\"127.0.0.1:{self.smtp}\"]\ndomains: [example.test]\n"
            f"backend:\n  protocol: smtp\n  address: 127.0.0.1:{sink}\nadmin:\n  listen: \"\"\n"
            f"limits:\n  max_connections: 2000\n  max_connections_per_ip: 2000\n  max_connections_per_network: 2000\n"
            f"log:\n  level: info\nquarantine:\n  path: {tmp}/quarantine\n"
            f"scan_api:\n  listen: 127.0.0.1:{self.api}\n  max_connections: 512\n"
            f"milter:\n  listen: 127.0.0.1:{self.milter}\n  quarantine: hold\n")
        self.log_path = os.path.join(tmp, "moat.log")
        self.proc = subprocess.Popen([binary, "serve", "--config", self.config],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"))
        deadline = time.time() + 20
        while "milter listening" not in self.log() or "scan API listening" not in self.log():
            if time.time() > deadline or self.proc.poll() is not None:
                sys.exit("moat did not start:\n" + self.log())
            time.sleep(0.05)

    def log(self):
        return open(self.log_path).read()

    def stop(self):
        for p in (self.proc, self.sink):
            p.terminate()
            p.wait()


def logged(log, needle):
    out = []
    for line in log.splitlines():
        if needle in line:
            a = re.search(r' action="?([a-z_]+)', line)
            s = re.search(r" score=([-0-9.e]+)", line)
            out.append((a.group(1), f"{float(s.group(1)):.1f}"))
    return out


def parity(moat, binary, msgs, tmp):
    files = []
    d = os.path.join(tmp, "normalised")
    os.makedirs(d, exist_ok=True)
    smtp_refused = []
    for i, (name, m) in enumerate(msgs):
        milter_send(("127.0.0.1", moat.milter), m)
        api_send(("127.0.0.1", moat.api), m)
        code = smtp_send(("127.0.0.1", moat.smtp), m)
        f = os.path.join(d, f"{i:05d}.eml")
        open(f, "wb").write(m)
        files.append(f)
    out = subprocess.run([binary, "scan", "--json", "--config", moat.config, "--client-ip", IP,
                          "--helo", HELO, "--mail-from", FROM] + files, capture_output=True)
    scan = [json.loads(l) for l in out.stdout.decode().splitlines()]
    scan = {os.path.basename(j["file"]): (j["action"], f"{j['score']:.1f}") for j in scan}
    time.sleep(1)  # the log is written asynchronously; the run is over, nothing waits on it
    log = moat.log()
    milter, api = logged(log, 'door="milter"'), logged(log, 'door="scan_api"')
    serve_lines = [l for l in log.splitlines() if "moat::message" in l]
    serve = logged("\n".join(serve_lines), "moat::message")
    same = differ = refused = 0
    for i, (name, _) in enumerate(msgs):
        s = serve[i] if i < len(serve) else None
        if s is None or s[0] not in ("accept", "add_header", "rewrite_subject", "quarantine", "tempfail", "reject"):
            refused += 1
            continue
        others = (milter[i], api[i], scan[f"{i:05d}.eml"])
        if all(o == s for o in others):
            same += 1
        else:
            differ += 1
            print(f"DIFFER {name}: serve={s} milter={others[0]} scan_api={others[1]} scan={others[2]}")
    print(f"parity: {len(msgs)} messages: {same} identical action and score on all four paths, "
          f"{differ} different, {refused} without an SMTP verdict")
    return differ == 0


def load(moat, msgs, n, conc, rspamd):
    doors = {
        "smtp (moat serve)": lambda m: smtp_send(("127.0.0.1", moat.smtp), m),
        "milter": lambda m: milter_send(("127.0.0.1", moat.milter), m),
        "scan_api /checkv2": lambda m: api_send(("127.0.0.1", moat.api), m),
    }
    if rspamd:
        host, port = rspamd.rsplit(":", 1)
        doors["rspamd /checkv2"] = lambda m: api_send((host, int(port)), m)
    work = [msgs[i % len(msgs)][1] for i in range(n)]
    print(f"load: {n} messages per door, {conc} at a time")
    for name, send in doors.items():
        lat = []
        lock = threading.Lock()

        def one(m):
            t = time.perf_counter()
            send(m)
            with lock:
                lat.append(time.perf_counter() - t)

        start = time.perf_counter()
        with ThreadPoolExecutor(conc) as ex:
            list(ex.map(one, work))
        wall = time.perf_counter() - start
        lat.sort()
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
        print(f"  {name:20s} {n / wall:8.1f} msg/s   p50 {p(0.5):7.1f} ms   p99 {p(0.99):7.1f} ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "moat"))
    ap.add_argument("--parity", action="store_true")
    ap.add_argument("--load", type=int, default=0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rspamd")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    if not shutil.which("smtp-sink"):
        sys.exit("smtp-sink (Debian postfix) is needed as the backend")
    msgs = messages(a.paths)
    tmp = tempfile.mkdtemp(prefix="moat-doors-")
    moat = Moat(a.moat, tmp)
    ok = True
    try:
        if a.parity:
            ok = parity(moat, a.moat, msgs, tmp)
        if a.load:
            load(moat, msgs, a.load, a.concurrency, a.rspamd)
    finally:
        moat.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
