"""Cheat (a realistic bug): the denominator sums only the first block of 128 columns, and the maximum is not
subtracted; rows longer than one block come out wrong."""
import torch
import triton
import triton.language as tl


@triton.jit
def softmax_kernel(output_ptr, input_ptr, input_row_stride, output_row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_SIZE)
    in_row = input_ptr + row * input_row_stride
    out_row = output_ptr + row * output_row_stride
    first = tl.load(in_row + cols, mask=cols < n_cols, other=-float("inf"))
    denominator = tl.sum(tl.exp(first), axis=0)
    for start in range(0, n_cols, BLOCK_SIZE):
        mask = start + cols < n_cols
        x = tl.load(in_row + start + cols, mask=mask, other=-float("inf"))
        tl.store(out_row + start + cols, tl.exp(x) / denominator, mask=mask)
