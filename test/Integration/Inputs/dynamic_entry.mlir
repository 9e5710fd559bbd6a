// Entries with dynamic dims: compiled with the dims-taking entry
//   int NAME(const float *in0, ..., float *out0, ..., const int64_t *dims)
// (dynamic_entry.py calls them at several sizes).

// A token MLP over a dynamic batch and sequence length.
func.func @mlp(%x: tensor<?x?x32xf32>, %w: tensor<64x32xf32>, %b: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %y = nn.linear %x, %w bias(%b) : (tensor<?x?x32xf32>, tensor<64x32xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %g = nn.gelu %y : tensor<?x?x64xf32>
  return %g : tensor<?x?x64xf32>
}

// Causal attention over dynamic query and key lengths.
func.func @attn(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32> {
  %o = nn.attention %q, %k, %v mask(causal) : (tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}
