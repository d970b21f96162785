"""CSV text of an Arrow table, byte for byte as Arrow's CSV writer writes it (quoting "needed"), made faster.

Arrow's writer writes text fast, but casts every other cell to text, 40 to 70 ns each: the
decimals, dates and flags of a million result rows take most of a second. Results repeat
themselves: a scheme, a reason, an amount, a date come back on row after row. So a run of
neighbouring columns of codes, amounts, dates and flags (anything but text and integers) is
formatted once per distinct combination of its values, and each row takes its combination's
text. A run of text and integer columns (row numbers, claim ids, an input's columns) is written
by Arrow's writer and cut into rows by the length of each field's text, known in advance. The
pieces of each line are joined by Arrow's kernels.

The text is the writer's: text and binary values in double quotes, a quote doubled; other values
as Arrow casts them to text; a null is an empty field; lines end in LF.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

CELLS_AT_ONCE = 19 << 14
"""Cells made into text at a time: 16,384 result rows, about 2.5 MB of text. The memory of a block is reused
for the next; blocks eight times larger took fresh memory from the system each time, and its page faults
cost more processor time than the text itself (benchmarks/bench_cli.py)."""


def csv_header(names: list[str], delimiter: str = ",") -> bytes:
    """The header line Arrow's writer writes for these column names."""
    out = pa.BufferOutputStream()
    empty = pa.table({str(i): pa.array([], pa.null()) for i in range(len(names))}).rename_columns(names)
    pacsv.write_csv(empty, out, pacsv.WriteOptions(quoting_style="needed", delimiter=delimiter))
    return out.getvalue().to_pybytes()


def csv_lines(table: pa.Table, delimiter: str = ",") -> Iterator[pa.Buffer]:
    """The data lines of `table` as CSV text (no header), in blocks of about CELLS_AT_ONCE cells.

    The distinct combinations are found and formatted once for the whole table; each block takes
    its rows' texts from them and writes its text and integer columns.
    """
    runs: list[tuple[bool, list[pa.Array]]] = []
    for column in (column.combine_chunks() for column in table.columns):
        written = _per_row(column.type)
        if runs and runs[-1][0] == written:
            runs[-1][1].append(column)
        else:
            runs.append((written, [column]))
    ends = [delimiter] * (len(runs) - 1) + ["\n"]  # each piece of a line ends with the delimiter, the last one with LF
    combined = [None if written else _combinations(run, delimiter, end) for (written, run), end in zip(runs, ends, strict=True)]
    rows = max(1, CELLS_AT_ONCE // max(1, table.num_columns))
    for start in range(0, table.num_rows, rows):
        pieces = [_written([values.slice(start, rows) for values in run], delimiter, end) if written
                  else combined[i][0].take(pa.array(combined[i][1][start: start + rows]))
                  for i, ((written, run), end) in enumerate(zip(runs, ends, strict=True))]
        lines = pieces[0] if len(pieces) == 1 else pc.binary_join_element_wise(*pieces, "")
        offsets = np.frombuffer(lines.buffers()[1], np.int32)[lines.offset: lines.offset + len(lines) + 1]
        yield lines.buffers()[2][offsets[0]: offsets[-1]]


def _per_row(kind: pa.DataType) -> bool:
    """Whether a column of this type is written per row (text, binary and integers, which Arrow's writer writes
    fast and whose text has a length known in advance), rather than once per distinct value."""
    return (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind) or pa.types.is_integer(kind))


def _written(run: list[pa.Array], delimiter: str, end: str) -> pa.Array:
    """Each row's text of a run of text and integer columns, as Arrow's writer writes it, followed by `end`.

    The writer writes the run as one text of lines; the exact length of each field's text cuts it
    into rows, and each line's end is made `end`.
    """
    out = pa.BufferOutputStream()
    pacsv.write_csv(pa.table(run, names=[str(i) for i in range(len(run))]), out,
                    pacsv.WriteOptions(include_header=False, quoting_style="needed", delimiter=delimiter))
    text = out.getvalue()
    length = np.full(len(run[0]), len(run), np.int64)  # the delimiters and the line's end
    for values in run:
        length += _width(values)
    offsets = np.zeros(len(length) + 1, np.int64)
    np.cumsum(length, out=offsets[1:])
    if offsets[-1] != text.size or offsets[-1] >= 1 << 31:
        raise RuntimeError(f"CSV text of {offsets[-1]:,} bytes expected, {text.size:,} written")
    if end != "\n":
        data = np.frombuffer(text, np.uint8).copy()
        data[offsets[1:] - 1] = ord(end)
        text = pa.py_buffer(data)
    return pa.StringArray.from_buffers(len(length), pa.py_buffer(offsets.astype(np.int32)), text)


POWERS = np.array([10**k for k in range(1, 20)], np.uint64)
"""10 to 10**19: an integer has one digit more than the powers it reaches."""


def _width(values: pa.Array) -> np.ndarray:
    """The length of each value's CSV field text: text in quotes with its quotes doubled, or an integer's digits
    and sign; 0 for a null."""
    if pa.types.is_integer(values.type):
        numbers = values.fill_null(0).to_numpy()
        magnitude = numbers if numbers.dtype == np.uint64 else np.abs(numbers.astype(np.int64)).astype(np.uint64)
        width = np.searchsorted(POWERS, magnitude, side="right") + 1 + (numbers < 0)
    else:
        width = pc.binary_length(values).fill_null(0).to_numpy().astype(np.int64) + 2
        if _holds_quote(values):
            width += pc.count_substring(values, '"').fill_null(0).to_numpy()
    if values.null_count:
        width[~values.is_valid().to_numpy(zero_copy_only=False)] = 0
    return width


def _field(values: pa.Array) -> pa.Array:
    """Each value as its CSV field text."""
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        text = values.cast(pa.string())
        if _holds_quote(text):
            text = pc.replace_substring(text, '"', '""')
        nothing = _nothing(len(text))
        text = pc.binary_join_element_wise(nothing, text, nothing, '"')  # "text"; a null stays null
    else:
        text = values.cast(pa.string())
    return pc.fill_null(text, "") if text.null_count else text


def _holds_quote(text: pa.Array) -> bool:
    """Whether any value holds a double quote (a look at the data buffer)."""
    data = text.buffers()[2]
    return data is not None and bool((np.frombuffer(data, np.uint8) == ord('"')).any())


def _nothing(n: int) -> pa.Array:
    """n empty texts (joining arrays is faster than joining an array with a scalar)."""
    return pa.StringArray.from_buffers(n, pa.py_buffer(np.zeros(n + 1, np.int32)), pa.py_buffer(b""))


def _distinct(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(each row's code, the field text of each code) of a repeating column."""
    encoded = values if pa.types.is_dictionary(values.type) else pc.dictionary_encode(values, null_encoding="encode")
    texts = _field(encoded.dictionary)
    indices = encoded.indices
    if indices.null_count:  # a null in a dictionary array: one more code, an empty field
        indices = indices.fill_null(len(texts))
        texts = pa.concat_arrays([texts, pa.array([""], texts.type)])
    return indices.to_numpy(zero_copy_only=False), texts


def _combinations(run: list[pa.Array], delimiter: str, end: str) -> tuple[pa.Array, np.ndarray]:
    """(the joined field texts of each distinct combination of a run of repeating columns, followed by `end`;
    each row's combination)."""
    coded = [_distinct(values) for values in run]
    if len(coded) == 1:
        codes, texts = coded[0]
        return _ended(texts, end), codes
    key, size = np.zeros(len(run[0]), np.int64), 1  # one array, updated in place: fresh memory costs page faults
    for codes, texts in coded:
        if size * len(texts) >= 1 << 62:
            renumbered, size = _renumbered(key)
            key[:] = renumbered
        np.multiply(key, len(texts), out=key)
        np.add(key, codes, out=key)
        size *= len(texts)
    key, size = _renumbered(key)
    first = _first_rows(key)
    joined = pc.binary_join_element_wise(*[texts.take(pa.array(codes[first])) for codes, texts in coded], delimiter)
    return _ended(joined, end), key


def _ended(texts: pa.Array, end: str) -> pa.Array:
    return pc.binary_join_element_wise(texts, _nothing(len(texts)), end)


def _renumbered(key: np.ndarray) -> tuple[np.ndarray, int]:
    """Keys renumbered 0, 1, … in order of first appearance, and how many there are."""
    encoded = pc.dictionary_encode(pa.array(key))
    return encoded.indices.to_numpy(zero_copy_only=False), len(encoded.dictionary)


def _first_rows(key: np.ndarray) -> np.ndarray:
    """The first row of each key, for keys numbered in order of first appearance."""
    seen = np.maximum.accumulate(key)
    return np.flatnonzero(key > np.concatenate([[-1], seen[:-1]]))
