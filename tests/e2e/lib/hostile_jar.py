#!/usr/bin/env python3
"""Craft hostile variants of a signed JAR, byte by byte, for 25-hostile-jars.

usage: hostile_jar.py VARIANT IN OUT [ARGS...]
       hostile_jar.py list

Each variant starts from the signed JAR IN and writes OUT. The ZIP is
read and written here, at the level of headers, so that every field an
attacker controls can be set (python's zipfile would normalise them).
Run "list" for the variants and what they take.
"""
import base64
import hashlib
import re
import struct
import sys
import zlib

SIG_LOC = 0x04034b50
SIG_CEN = 0x02014b50
SIG_END = 0x06054b50
SIG_END64 = 0x06064b50
SIG_LOC64 = 0x07064b50
SIG_DESC = 0x08074b50


class Entry:
    """One member: its name, stored bytes and the header fields."""

    def __init__(self, name, data=b"", method=8, raw=None):
        self.name = name if isinstance(name, bytes) else name.encode()
        self.local_name = None          # differing local name, if any
        self.version_made = 20
        self.version_needed = 20
        self.flags = 0x0800 if any(c > 127 for c in self.name) else 0
        self.method = method
        self.mtime = 0
        self.mdate = 0x21
        self.internal = 0
        self.external = 0
        self.local_extra = b""
        self.central_extra = b""
        self.comment = b""
        self.descriptor = None          # bytes written after the data
        self.zero_local_sizes = False   # local CRC/sizes left 0
        self.set_data(data, raw)

    def set_data(self, data, raw=None):
        self.usize = len(data)
        self.crc = zlib.crc32(data) & 0xffffffff
        if raw is not None:
            self.raw = raw
        elif self.method == 8:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            self.raw = c.compress(data) + c.flush()
        else:
            self.raw = data
        self.csize = len(self.raw)

    def data(self):
        if self.method == 0:
            return self.raw
        return zlib.decompress(self.raw, -15)

    def local(self):
        name = self.local_name if self.local_name is not None else self.name
        crc, cs, us = self.crc, self.csize, self.usize
        if self.zero_local_sizes:
            crc = cs = us = 0
        return struct.pack("<IHHHHHIIIHH", SIG_LOC, self.version_needed,
                           self.flags, self.method, self.mtime, self.mdate,
                           crc, cs, us, len(name),
                           len(self.local_extra)) + name + self.local_extra

    def central(self, offset):
        return struct.pack("<IHHHHHHIIIHHHHHII", SIG_CEN, self.version_made,
                           self.version_needed, self.flags, self.method,
                           self.mtime, self.mdate, self.crc, self.csize,
                           self.usize, len(self.name),
                           len(self.central_extra), len(self.comment), 0,
                           self.internal, self.external, offset) + \
            self.name + self.central_extra + self.comment


def end_record(count, cd_size, cd_off, comment=b"", comment_len=None):
    if comment_len is None:
        comment_len = len(comment)
    return struct.pack("<IHHHHIIH", SIG_END, 0, 0, count, count, cd_size,
                       cd_off, comment_len) + comment


def read(path):
    """The entries of a strict, simple archive, in central order."""
    with open(path, "rb") as f:
        b = f.read()
    end = b.rindex(struct.pack("<I", SIG_END))
    count, cd_size, cd_off = struct.unpack_from("<HII", b, end + 10)
    out, pos = [], cd_off
    for _ in range(count):
        f = struct.unpack_from("<IHHHHHHIIIHHHHHII", b, pos)
        n, m, k, off = f[10], f[11], f[12], f[16]
        e = Entry(b[pos + 46:pos + 46 + n])
        e.version_made, e.version_needed, e.flags, e.method = f[1:5]
        e.mtime, e.mdate, e.crc, e.csize, e.usize = f[5:10]
        e.internal, e.external = f[14], f[15]
        e.central_extra = b[pos + 46 + n:pos + 46 + n + m]
        e.comment = b[pos + 46 + n + m:pos + 46 + n + m + k]
        ln, lm = struct.unpack_from("<HH", b, off + 26)
        e.local_extra = b[off + 30 + ln:off + 30 + ln + lm]
        start = off + 30 + ln + lm
        e.raw = b[start:start + e.csize]
        out.append(e)
        pos += 46 + n + m + k
    return out


def layout(entries):
    """Local headers and data, back to back; the offsets of each."""
    body, offs = bytearray(), []
    for e in entries:
        offs.append(len(body))
        body += e.local() + e.raw
        if e.descriptor is not None:
            body += e.descriptor
    return body, offs


def build(entries, comment=b"", central=None):
    """A whole archive; central lists the entries of the directory."""
    body, offs = layout(entries)
    cd = bytearray()
    listed = central if central is not None else list(range(len(entries)))
    for i in listed:
        cd += entries[i].central(offs[i])
    return bytes(body + cd + end_record(len(listed), len(cd), len(body),
                                        comment))


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def find(entries, name):
    name = name.encode() if isinstance(name, str) else name
    for e in entries:
        if e.name == name:
            return e
    raise SystemExit("no entry " + name.decode(errors="replace"))


def b64(md):
    return base64.b64encode(md).decode()


def section(name, data, alg="SHA-256"):
    """A manifest section for data, CRLF, with the JDK's 72-byte folding."""
    h = hashlib.new(alg.replace("-", "").lower(), data).digest()
    return fold("Name: " + name) + fold(alg + "-Digest: " + b64(h)) + b"\r\n"


def fold(line):
    raw = line.encode() if isinstance(line, str) else line
    out = raw[:72]
    raw = raw[72:]
    while raw:
        out += b"\r\n " + raw[:71]
        raw = raw[71:]
    return out + b"\r\n"


def main_section(mf):
    """The bytes of the main section, through its blank line."""
    i = mf.index(b"\r\n\r\n")
    return mf[:i + 4]


def edit(entries, name, fn):
    e = find(entries, name)
    e.set_data(fn(e.data()))


def unescape(text):
    """Name bytes from text in which \\xNN stands for byte NN."""
    return re.sub(rb"\\x([0-9a-fA-F]{2})",
                  lambda m: bytes([int(m.group(1), 16)]), text.encode())


def evil_entry(name, path, method=8):
    with open(path, "rb") as f:
        return Entry(name, f.read(), method)


def hidden_directory(entries, keep, extra, start):
    """A central directory and end record for keep + extra, placed at
    start: the bytes an attacker hides where a reader may look."""
    body, offs = layout(entries)
    blob = bytearray()
    for e in extra:
        e.hidden_off = start + len(blob)
        blob += e.local() + e.raw
    cd = bytearray()
    for e in entries:
        if e.name in keep:
            cd += e.central(offs[entries.index(e)])
    for e in extra:
        cd += e.central(e.hidden_off)
    cd_off = start + len(blob)
    blob += cd
    return blob, len(cd), cd_off, len(keep) + len(extra)


def comment_cd(entries, evil, tail):
    """The signed archive, whose comment holds a second archive: a local
    header with evil bytes for the agent class, a central directory of
    the manifest and that class, and an end record. Readers that search
    the end record from the end of the file find the hidden one first.
    tail 0: one byte follows the hidden end record, whose comment length
    (0) does not reach the end of the file; tail 1: the hidden record is
    the last 22 bytes and claims a 1-byte comment."""
    body, offs = layout(entries)
    cd = bytearray()
    for i, e in enumerate(entries):
        cd += e.central(offs[i])
    start = len(body) + len(cd) + 22
    keep = {b"META-INF/MANIFEST.MF"}
    blob, size, off, count = hidden_directory(entries, keep, [evil], start)
    if tail == 0:
        blob += end_record(count, size, off, b"", 0) + b"\n"
    else:
        blob += end_record(count, size, off, b"", 1)
    return bytes(body + cd + end_record(len(entries), len(cd), len(body),
                                        bytes(blob)))


AGENT = "org/sbx/testagent/Agent.class"
HELPER = "org/sbx/testagent/Helper.class"
MF = "META-INF/MANIFEST.MF"


def v_comment_cd(ents, args):
    """EVIL: a second archive hidden in the comment, followed by a byte."""
    return comment_cd(ents, evil_entry(AGENT, args[0]), 0)


def v_comment_eocd_last(ents, args):
    """EVIL: as comment-cd, its end record the file's last 22 bytes."""
    return comment_cd(ents, evil_entry(AGENT, args[0]), 1)


def v_comment_eocd_exact(ents, args):
    """a second end record in the comment that also ends the file."""
    body, offs = layout(ents)
    cd = b"".join(e.central(offs[i]) for i, e in enumerate(ents))
    inner = end_record(len(ents), len(cd), len(body))
    return bytes(body + cd + end_record(len(ents), len(cd), len(body),
                                        inner))


def v_comment_text(ents, args):
    """a harmless 65535-byte comment: no signature in it."""
    text = (b"sbx hostile-jar test comment. " * 2200)[:65535]
    return build(ents, text)


def v_comment_sig(ents, args):
    """SIG: the 4 bytes of a header signature (hex) in the comment."""
    return build(ents, b"note " + bytes.fromhex(args[0]) + b" end")


def v_trailing(ents, args):
    """bytes after the end record."""
    return build(ents) + b"\0" * 16


def v_prefix(ents, args):
    """a stub before the first entry, offsets left as they were."""
    return b"#!/bin/sh\nexit 0\n" + build(ents)


def v_pkg_section(ents, args):
    """an appended manifest section with package attributes."""
    extra = (b"Name: org/sbx/testagent/\r\nImplementation-Version: 6.6.6\r\n"
             b"Sealed: true\r\n\r\n")
    edit(ents, MF, lambda d: d + extra)
    return build(ents)


def v_section_nodigest(ents, args):
    """an appended section, without digest, for a name not in the JAR."""
    edit(ents, MF, lambda d: d + b"Name: org/sbx/other/Gone.class\r\n"
         b"X-Note: unsigned\r\n\r\n")
    return build(ents)


def v_dir_data(ents, args):
    """a directory entry that carries 4 KiB of hidden data."""
    d = Entry("org/sbx/hidden/", b"", 8, raw=bytes(range(256)) * 16)
    d.usize = 0
    return build(ents + [d])


def v_dir_alias(ents, args):
    """EVIL: "Agent.class/", a directory entry holding a class."""
    with open(args[0], "rb") as f:
        data = f.read()
    d = Entry("org/sbx/testagent/Agent.class/", data, 8)
    d.usize = 0
    return build(ents + [d])


def v_add(ents, args):
    """NAME EVIL: add entry NAME (\\xNN is byte NN) with EVIL's bytes."""
    return build(ents + [evil_entry(unescape(args[0]), args[1])])


def v_rename(ents, args):
    """OLD NEW: rename an entry in both headers."""
    e = find(ents, args[0])
    e.name = unescape(args[1])
    return build(ents)


def v_replace(ents, args):
    """NAME EVIL: entry NAME gets EVIL's bytes."""
    e = find(ents, args[0])
    with open(args[1], "rb") as f:
        e.set_data(f.read())
    return build(ents)


def v_duplicate(ents, args):
    """NAME: a second entry of the same name, after the first."""
    e = find(ents, args[0])
    twin = Entry(e.name, e.data(), e.method)
    return build(ents + [twin])


def v_long_name(ents, args):
    """N EVIL: an entry whose name is N bytes long."""
    n = int(args[0])
    name = (b"org/sbx/" + b"a" * n)[:n - 6] + b".class"
    return build(ents + [evil_entry(name, args[1])])


def v_local_name(ents, args):
    """NAME OTHER: NAME's local header says OTHER (same length)."""
    e = find(ents, args[0])
    e.local_name = args[1].encode()
    return build(ents)


def v_stored_descriptor(ents, args):
    """NAME: NAME stored, its sizes and CRC in a data descriptor."""
    e = find(ents, args[0])
    data = e.data()
    e.method = 0
    e.set_data(data)
    e.flags |= 8
    e.zero_local_sizes = True
    e.descriptor = struct.pack("<IIII", SIG_DESC, e.crc, e.csize, e.usize)
    return build(ents)


def v_wide_descriptor(ents, args):
    """NAME: NAME deflated, with a 24-byte (64-bit) data descriptor."""
    e = find(ents, args[0])
    e.flags |= 8
    e.zero_local_sizes = True
    e.descriptor = struct.pack("<IIQQ", SIG_DESC, e.crc, e.csize, e.usize)
    return build(ents)


def v_zip64_extra(ents, args):
    """NAME: NAME's sizes saturated, the real ones in ZIP64 fields."""
    e = find(ents, args[0])
    cs, us = e.csize, e.usize
    e.local_extra = struct.pack("<HHQQ", 1, 16, us, cs)
    e.central_extra = struct.pack("<HHQQ", 1, 16, us, cs)
    e.version_needed = 45
    lo, co = e.local, e.central

    def local():
        e.csize = e.usize = 0xffffffff
        try:
            return lo()
        finally:
            e.csize, e.usize = cs, us

    def central(off):
        e.csize = e.usize = 0xffffffff
        try:
            return co(off)
        finally:
            e.csize, e.usize = cs, us
    e.local, e.central = local, central
    return build(ents)


def v_main_attr(ents, args):
    """LINE: a line added to the manifest's main section."""
    line = args[0].encode() + b"\r\n"
    edit(ents, MF, lambda d: d.replace(b"\r\n\r\n", b"\r\n" + line + b"\r\n",
                                       1))
    return build(ents)


def v_sf_drop_main_digest(ents, args):
    """ALIAS LINE: main-attributes digest gone from the .SF, LINE added
    to the manifest's main section (the signature no longer verifies)."""
    sf = "META-INF/%s.SF" % args[0]

    def drop(d):
        out, skip = [], False
        for ln in d.split(b"\r\n"):
            if ln.startswith(b"SHA-256-Digest-Manifest-Main-Attributes:"):
                skip = True
                continue
            if skip and ln.startswith(b" "):
                continue
            skip = False
            out.append(ln)
        return b"\r\n".join(out)
    edit(ents, sf, drop)
    return v_main_attr(ents, args[1:])


def v_dup_section(ents, args):
    """NAME EVIL: a second manifest section for NAME with EVIL's digest,
    and NAME holding EVIL."""
    with open(args[1], "rb") as f:
        data = f.read()
    edit(ents, MF, lambda d: d + section(args[0], data))
    find(ents, args[0]).set_data(data)
    return build(ents)


def v_refold(ents, args):
    """NAME: NAME's manifest line folded after 10 bytes."""
    old = b"Name: " + args[0].encode() + b"\r\n"
    new = old[:10] + b"\r\n " + old[10:]
    edit(ents, MF, lambda d: d.replace(old, new, 1))
    return build(ents)


def v_line_ends(ents, args):
    """EOL: the manifest rewritten with CR or LF line ends."""
    eol = {"cr": b"\r", "lf": b"\n"}[args[0]]
    edit(ents, MF, lambda d: d.replace(b"\r\n", eol))
    return build(ents)


def v_copy_entry(ents, args):
    """FROM TO: a copy of entry FROM named TO."""
    e = find(ents, args[0])
    return build(ents + [Entry(args[1], e.data(), e.method)])


def v_big_manifest(ents, args):
    """N: N unsigned sections appended to the manifest."""
    extra = b"".join(b"Name: org/sbx/pad/P%07d.class\r\nX-Pad: %s\r\n\r\n"
                     % (i, b"p" * 40) for i in range(int(args[0])))
    edit(ents, MF, lambda d: d + extra)
    return build(ents)


def v_long_line(ents, args):
    """N: a continuation-folded value of N bytes in an appended section."""
    n = int(args[0])
    edit(ents, MF, lambda d: d + fold("Name: org/sbx/pad/" + "x" * n) +
         b"\r\n")
    return build(ents)


def v_many_entries(ents, args):
    """N: N empty directory entries added (a big central directory)."""
    dirs = [Entry("d/%06d/" % i, b"", 0) for i in range(int(args[0]))]
    return build(ents + dirs)


def v_manifest_last(ents, args):
    """the manifest moved to the end of the archive."""
    mf = find(ents, MF)
    return build([e for e in ents if e is not mf] + [mf])


def v_flip(ents, args):
    """NAME N: entry NAME with its N-th byte from the end changed."""
    e = find(ents, args[0])
    d = bytearray(e.data())
    d[-int(args[1])] ^= 0x55
    e.set_data(bytes(d))
    return build(ents)


def v_identity(ents, args):
    """the archive rewritten by this writer, unchanged in meaning."""
    return build(ents)


VARIANTS = {k[2:].replace("_", "-"): v for k, v in globals().items()
            if k.startswith("v_")}


def main():
    if sys.argv[1:2] == ["list"]:
        for k, v in sorted(VARIANTS.items()):
            print("%-22s %s" % (k, " ".join(v.__doc__.split())))
        return
    if len(sys.argv) < 4 or sys.argv[1] not in VARIANTS:
        sys.exit(__doc__)
    variant, src, dst = sys.argv[1:4]
    write(dst, VARIANTS[variant](read(src), sys.argv[4:]))


if __name__ == "__main__":
    main()
