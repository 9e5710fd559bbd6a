"""examples/hybrid.mlir written independently in PyTorch: the reference of
its C-runner test (in float64) and of the benchmark suite (in float32).

inputs(np) gives the 11 arguments in the function's order (deterministic);
forward(torch, args) computes the (1, 64, 1, 1) output from torch tensors of
any floating type.
"""

SHAPES = [(1, 3, 64, 64), (64, 64), (64, 64), (64, 64), (64, 64),
          (256, 64), (256,), (64, 256), (64,), (64,), (64,)]


def inputs(np):
    rng = np.random.default_rng(7)
    ins = [rng.standard_normal(s).astype(np.float32) * (0.2 if i else 1.0)
           for i, s in enumerate(SHAPES)]
    ins[9] = (1.0 + 0.1 * rng.standard_normal(64)).astype(np.float32)  # ln gamma
    return ins


def forward(torch, args):
    F = torch.nn.functional
    image, wq, wk, wv, wo, w1, b1, w2, b2, g, b = args
    dtype = image.dtype

    def full(shape, v):
        return torch.full(shape, v, dtype=dtype)

    def conv_bn_relu(x, cin, cout, w, s, bb, m, v):
        y = F.conv2d(x, full((cout, cin, 3, 3), w), stride=2, padding=1)
        y = F.batch_norm(y, full((cout,), m), full((cout,), v), full((cout,), s),
                         full((cout,), bb), training=False, eps=1e-5)
        return F.relu(y)

    def ln(z):
        return F.layer_norm(z, (64,), g, b, eps=1e-5)

    def heads(z):
        return z.reshape(1, 256, 4, 16).transpose(1, 2)

    x = conv_bn_relu(image, 3, 32, 0.05, 1.5, 0.1, 0.2, 4.0)
    x = conv_bn_relu(x, 32, 64, 0.02, 0.5, 0.0, 0.1, 1.0)
    tokens = x.flatten(2).transpose(1, 2)                      # [1, 256, 64]
    h = ln(tokens)
    q, k, v = heads(h @ wq.T), heads(h @ wk.T), heads(h @ wv.T)
    att = torch.softmax(q @ k.transpose(-1, -2) / 4.0, dim=-1) @ v
    res1 = tokens + att.transpose(1, 2).reshape(1, 256, 64) @ wo.T
    y = ln(res1)
    res2 = res1 + F.gelu(y @ w1.T + b1) @ w2.T + b2
    img = res2.transpose(1, 2).reshape(1, 64, 16, 16)
    return img.mean(dim=(2, 3), keepdim=True)
