// A tiny KernelBench task (ReLU on 8×300) that the optimize tests of the CLI and the editor write to a temp folder: small
// enough for the KernelBench gate on Debian's CPU torch.
export const RELU_TASK = `import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.relu(x)


batch_size = 8
dim = 300


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
`;
