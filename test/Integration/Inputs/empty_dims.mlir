// Entries over dynamic extents, called with 0 for them (empty.test).
func.func @att(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32> {
  %r = nn.attention %q, %k, %v mask(sliding_window) {window = 5} : (tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32>
  return %r : tensor<1x2x?x16xf32>
}
func.func @sm(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = nn.softmax %x : tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}
func.func @lin(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>) -> tensor<?x32xf32> {
  %y = nn.linear %x, %w : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %g = nn.gelu %y : tensor<?x32xf32>
  return %g : tensor<?x32xf32>
}
func.func @smk(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  %r = nn.softmax %x : tensor<4x?xf32>
  return %r : tensor<4x?xf32>
}
