#!/usr/bin/env python3
"""Change a JAR the way an attacker would, for the tamper tests.

usage: jarsurgery.py OP IN OUT [ARGS...]
  replace NAME FILE     entry NAME gets the bytes of FILE
  flip NAME             one byte of entry NAME is changed
  add NAME TEXT         a new entry
  remove NAME           entry NAME is dropped
  duplicate NAME        a second entry with the same name is appended
  sf-edit NAME OLD NEW  in text entry NAME, replace OLD by NEW (bytes)
Entries keep their order and compression; the archive is rewritten by
Python's zipfile, an independent writer.
"""
import sys
import warnings
import zipfile


def copy(src, dst, skip=None, change=None):
    for info in src.infolist():
        if skip and info.filename == skip:
            continue
        data = src.read(info.filename)
        if change and info.filename in change:
            data = change[info.filename](data)
        dst.writestr(info, data)


def main():
    op, path_in, path_out = sys.argv[1:4]
    args = sys.argv[4:]
    warnings.simplefilter("ignore")
    with zipfile.ZipFile(path_in) as src, \
            zipfile.ZipFile(path_out, "w", zipfile.ZIP_DEFLATED) as dst:
        if op == "replace":
            with open(args[1], "rb") as f:
                new = f.read()
            copy(src, dst, change={args[0]: lambda _: new})
        elif op == "flip":
            copy(src, dst, change={args[0]: lambda d: bytes([d[0] ^ 1]) + d[1:]})
        elif op == "add":
            copy(src, dst)
            dst.writestr(args[0], args[1])
        elif op == "remove":
            copy(src, dst, skip=args[0])
        elif op == "duplicate":
            copy(src, dst)
            dst.writestr(args[0], src.read(args[0]))
        elif op == "sf-edit":
            old, new = args[1].encode(), args[2].encode()

            def edit(d):
                if old not in d:
                    sys.exit("sf-edit: text not found")
                return d.replace(old, new, 1)
            copy(src, dst, change={args[0]: edit})
        else:
            sys.exit("unknown operation " + op)


if __name__ == "__main__":
    main()
