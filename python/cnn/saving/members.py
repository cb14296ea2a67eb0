"""Reading the members of a zip archive (the .keras file, and the npz weights inside it) within
bounds: safe names, a cap on what each member may expand to, reads in chunks that stop at the cap."""
import re
import zipfile

from cnn.saving._common import (
    EXPAND_FLOOR,
    EXPAND_RATIO,
    MAX_MEMBERS,
    READ_CHUNK,
    ZIP_ERRORS,
)


def expansion_limit(info):
    """The most bytes a member may decompress to: proportionate to what it stores."""
    return max(EXPAND_FLOOR, EXPAND_RATIO * max(info.compress_size, 0))


def check_expansion(info, what, limit=None):
    """Refuses a member declaring more bytes than it may expand to (before reading any of it)."""
    cap = expansion_limit(info) if limit is None else min(limit, expansion_limit(info))
    if info.file_size > cap:
        if limit is not None and info.file_size > limit:
            raise ValueError(f"{what}: member '{info.filename}' is {info.file_size} bytes, too large "
                             f"(at most {limit})")
        raise ValueError(f"{what}: member '{info.filename}' declares {info.file_size} bytes but stores "
                         f"{info.compress_size}; refusing a potential decompression bomb")
    return cap


def open_zip(source, what):
    try:
        return zipfile.ZipFile(source, "r")
    except (ValueError,) + ZIP_ERRORS as e:
        raise ValueError(f"{what} is not a valid .keras file (a zip archive): {e}") from None


def safe_names(zf, what):
    """{name: ZipInfo} of the archive, refusing absurd member counts and names that leave a folder."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ValueError(f"{what} holds {len(infos)} members; not a model file")
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
            raise ValueError(f"{what} contains an unsafe member name {name!r}; refusing to load it")
    return {i.filename: i for i in infos}


def read_member(zf, info, what, limit=None):
    """The member's bytes, read in chunks that stop past the cap (the declared size is not trusted)."""
    cap = check_expansion(info, what, limit)
    chunks, total = [], 0
    try:
        with zf.open(info) as f:
            while total <= cap:
                chunk = f.read(min(READ_CHUNK, cap + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
    except (ValueError,) + ZIP_ERRORS as e:
        raise ValueError(f"{what}: cannot read member '{info.filename}': {e}") from None
    if total > cap:
        raise ValueError(f"{what}: member '{info.filename}' expands past {cap} bytes; refusing it")
    if total != info.file_size:
        raise ValueError(f"{what}: member '{info.filename}' is not the size it declares")
    return b"".join(chunks)
