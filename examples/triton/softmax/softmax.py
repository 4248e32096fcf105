"""Row-wise softmax, one program per row, written as three passes over the row in blocks of 128 columns
(maximum, sum of exponentials, normalized output): it reads every row three times."""
import torch
import triton
import triton.language as tl


@triton.jit
def softmax_kernel(output_ptr, input_ptr, input_row_stride, output_row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    in_row = input_ptr + row * input_row_stride
    out_row = output_ptr + row * output_row_stride
    cols = tl.arange(0, BLOCK_SIZE)
    row_max = -float("inf")
    for start in range(0, n_cols, BLOCK_SIZE):
        x = tl.load(in_row + start + cols, mask=start + cols < n_cols, other=-float("inf"))
        row_max = tl.maximum(row_max, tl.max(x, axis=0))
    denominator = 0.0
    for start in range(0, n_cols, BLOCK_SIZE):
        x = tl.load(in_row + start + cols, mask=start + cols < n_cols, other=-float("inf"))
        denominator += tl.sum(tl.exp(x - row_max), axis=0)
    for start in range(0, n_cols, BLOCK_SIZE):
        mask = start + cols < n_cols
        x = tl.load(in_row + start + cols, mask=mask, other=-float("inf"))
        tl.store(out_row + start + cols, tl.exp(x - row_max) / denominator, mask=mask)


def softmax(x: torch.Tensor) -> torch.Tensor:
    n_rows, n_cols = x.shape
    y = torch.empty_like(x)
    softmax_kernel[(n_rows,)](y, x, x.stride(0), y.stride(0), n_cols, BLOCK_SIZE=128)
    return y
