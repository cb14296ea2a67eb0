"""`model.summary()` text in the Keras 3 layout (the `rich` table of Keras's summary_utils.py).

Keras 3 draws the table with `rich`; this module reproduces rich's plain-text output (no colours)
without depending on it: the same box characters, the same column-width arithmetic (rich shrinks
the requested columns evenly so that the table fits `line_length`) and the same cell wrapping
(word wrap, a word too long for its cell ends in "…").

    print_summary("sequential", [("dense", "Dense", (None, 2), 8),
                                 ("dense_1", "Dense", (None, 1), 3)], 11, 0)
"""

import re
import shutil
import sys
import unicodedata

__all__ = ["print_summary", "format_summary", "readable_memory_size", "format_shape"]

_HEADER = ("Layer (type)", "Output Shape", "Param #")
_JUSTIFY = ("left", "left", "right")
_WORD = re.compile(r"\s*\S+\s*")
_BYTES_PER_PARAM = 4  # float32
_ITERATION_BYTES = 8  # the optimizer's int64 iteration counter (Keras on TensorFlow)


def readable_memory_size(nbytes):
    """'44.00 B', '1.63 KB', '3.28 MB' ...: 1024-based, two decimals, as Keras prints sizes."""
    size = float(nbytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return "{:.2f} {}".format(size, unit)
        size /= 1024
    return "{:.2f} {}".format(size, "PB")


def format_shape(shape):
    """(None, 2) -> '(None, 2)'; None (unbuilt layer) -> '?'; a string is used as given."""
    if shape is None:
        return "?"
    if isinstance(shape, str):
        return shape
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _cell_len(text):
    # Wide (East Asian) characters take two terminal cells, as rich counts them.
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cut_cells(text, cells):
    out, used = [], 0
    for c in text:
        w = _cell_len(c)
        if used + w > cells:
            break
        out.append(c)
        used += w
    return "".join(out) + " " * (cells - used)


def _break_offsets(text, width):
    """Where rich's word wrap (overflow 'ellipsis', so no folding) starts each new line."""
    breaks, offset = [], 0
    for m in _WORD.finditer(text):
        start, word = m.start(), m.group(0)
        word_len = _cell_len(word.rstrip())
        if width - offset >= word_len:
            offset += _cell_len(word)
        elif word_len > width:  # cannot fit any line: own line, cropped later
            if start:
                breaks.append(start)
            offset = _cell_len(word)
        elif offset and start:
            breaks.append(start)
            offset = _cell_len(word)
    return breaks


def _wrap_cell(text, width, justify):
    """Lines of exactly `width` cells for one table cell."""
    bounds = [0] + _break_offsets(text, width) + [len(text)]
    lines = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        piece = text[a:b].rstrip()
        if _cell_len(piece) > width:
            piece = _cut_cells(piece, width - 1) + "…"
        excess = width - _cell_len(piece)
        if justify == "center":
            lines.append(" " * (excess // 2) + piece + " " * (excess - excess // 2))
        else:
            lines.append(" " * excess + piece if justify == "right" else piece + " " * excess)
    return lines


def _column_widths(line_length, positions):
    """Cell widths (padding included, borders excluded), as rich lays out Keras's table."""
    requested, current = [], 0
    for pos in positions:
        width = int(pos * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        requested.append(width)
        current += width
    n = len(requested)
    budget = line_length - (n + 1)  # n+1 vertical borders
    widths = [min(w + 2, budget) for w in requested]  # + one space of padding each side
    excess = sum(widths) - budget
    if excess > 0:  # rich's ratio_reduce with equal ratios, in column order
        remaining, ratio_left, out = excess, n, []
        for w in widths:
            cut = min(w, round(remaining / ratio_left))
            out.append(w - cut)
            remaining -= cut
            ratio_left -= 1
        widths = out
    return widths


def _rule(widths, left, fill, mid, right):
    return left + mid.join(fill * w for w in widths) + right


def _row_lines(cells, widths, bar, header=False, justify=_JUSTIFY):
    """Lines of one table row; rich aligns body cells to the top and header cells to the bottom."""
    wrapped = [_wrap_cell(c, w - 2, j) for c, w, j in zip(cells, widths, justify)]
    height = max(len(lines) for lines in wrapped)
    for lines, w in zip(wrapped, widths):
        blank = [" " * (w - 2)] * (height - len(lines))
        lines[:] = blank + lines if header else lines + blank
    return [bar + bar.join(" " + cell[i] + " " for cell in wrapped) + bar for i in range(height)]


def _params_text(count):
    return "0 (unbuilt)" if count is None else f"{int(count):,}"


def format_summary(model_name, rows, trainable_count, non_trainable_count,
                   optimizer_count=None, line_length=None, positions=None, show_trainable=False):
    """The summary text, ending with a newline (what Keras hands to `print_fn`).

    A row may have a fifth cell, what the layer is connected to: then the table has Keras's
    "Connected to" column (functional models that are not a chain), 108 wide by default. With
    show_trainable, each row's last cell is its "Trainable" mark (Y, N or -), a centred column."""
    connected = any(len(row) > 4 + bool(show_trainable) for row in rows)
    if line_length is None:
        line_length = min((108 if connected else 88) + (12 if show_trainable else 0),
                          shutil.get_terminal_size().columns - 4)
    positions = positions or ((0.3, 0.56, 0.74, 1.0) if connected else (0.45, 0.80, 1.0))
    header, justify = (_HEADER + ("Connected to",), _JUSTIFY + ("left",)) if connected else (_HEADER, _JUSTIFY)
    if show_trainable:   # Keras: the columns shrink to 90% and "Trainable" takes the rest
        positions = [p * 0.90 for p in positions] + [1.0]
        header, justify = header + ("Trainable",), justify + ("center",)
    widths = _column_widths(int(line_length), positions)
    lines = [f'Model: "{model_name}"', _rule(widths, "┏", "━", "┳", "┓")]
    lines += _row_lines(header, widths, "┃", header=True, justify=justify)
    lines.append(_rule(widths, "┡", "━", "╇", "┩"))
    for i, row in enumerate(rows):
        name, cls_name, shape, count = row[:4]
        if i:
            lines.append(_rule(widths, "├", "─", "┼", "┤"))
        cells = (f"{name} ({cls_name})", format_shape(shape), _params_text(count)) + tuple(row[4:])
        lines += _row_lines(cells, widths, "│", justify=justify)
    lines.append(_rule(widths, "└", "─", "┴", "┘"))

    trainable, non_trainable = int(trainable_count), int(non_trainable_count)
    sizes = [trainable * _BYTES_PER_PARAM, non_trainable * _BYTES_PER_PARAM]
    total = trainable + non_trainable
    if optimizer_count is not None:
        opt = int(optimizer_count)
        opt_bytes = opt * _BYTES_PER_PARAM + (_ITERATION_BYTES - _BYTES_PER_PARAM if opt else 0)
        total += opt
    total_bytes = sum(sizes) + (opt_bytes if optimizer_count is not None else 0)
    lines.append(f" Total params: {total:,} ({readable_memory_size(total_bytes)})")
    lines.append(f" Trainable params: {trainable:,} ({readable_memory_size(sizes[0])})")
    lines.append(f" Non-trainable params: {non_trainable:,} ({readable_memory_size(sizes[1])})")
    if optimizer_count is not None:
        lines.append(f" Optimizer params: {opt:,} ({readable_memory_size(opt_bytes)})")
    return "\n".join(lines) + "\n"


def print_summary(model_name, rows, trainable_count, non_trainable_count, optimizer_count=None,
                  line_length=None, print_fn=None, positions=None, show_trainable=False):
    """Print a Keras 3 style summary table.

    rows: (layer_name, class_name, output_shape or None, param_count or None) per layer, in order;
        None shape prints "?" and None count prints "0 (unbuilt)", as for an unbuilt layer.
    optimizer_count: the optimizer's variable count (iteration and learning rate included) once
        it is built; it adds the " Optimizer params" line and is included in the total. Its size
        counts the iteration counter as int64 (8 bytes), as Keras on TensorFlow does.
    line_length: default min(88, terminal columns - 4), i.e. 76 when stdout is not a terminal.
    print_fn: called ONCE with the whole text (ending with a newline), as Keras 3 does; by default
        the text goes to sys.stdout.
    """
    text = format_summary(model_name, rows, trainable_count, non_trainable_count,
                          optimizer_count, line_length, positions, show_trainable)
    if print_fn is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        print_fn(text)
