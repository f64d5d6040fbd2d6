// A consumer of the packed SimdRnn package: one LSTM layer, forward and backward through the public span API,
// checked against the same LSTM written out by hand in double precision (and its central finite differences).
// Then SimdRnn.Onnx: an nn.LSTM exported by torch.onnx.export, run on PyTorch's inputs, against PyTorch's outputs.
// Exits 0 and prints "package consumer: OK" only when every check holds.
using SimdRnn;
using SimdRnn.Onnx;

const int T = 3, N = 2, I = 2, H = 2;
var stack = new RecurrentStack(CellKind.Lstm, I, H);
RecurrentParameters p = stack.CreateParameters();
for (int k = 0; k < p.All.Length; k++) p.All[k] = (k % 7 - 3) * 0.125f; // exact in float and double

float[] x = [0.5f, -1f, 0.25f, 2f, -0.75f, 1.5f, 1f, 0f, -2f, 0.5f, 0.125f, -0.5f];
float[] h0 = [0.1f, -0.2f, 0.3f, 0f], c0 = [-0.5f, 0.25f, 0f, 1f];
float[] y = new float[T * N * H], hT = new float[N * H], cT = new float[N * H];
var workspace = new float[stack.WorkspaceLength(T, N)];
stack.Forward(T, N, x, h0, c0, p, y, hT, cT, workspace, training: true);

// Loss = sum of y (dy = 1, dhT = dcT = 0).
float[] dy = Enumerable.Repeat(1f, y.Length).ToArray(), zeros = new float[N * H];
float[] dx = new float[x.Length], dh0 = new float[N * H], dc0 = new float[N * H];
RecurrentParameters g = stack.CreateParameters();
stack.Backward(T, N, x, h0, p, y, dy, zeros, zeros, dx, dh0, dc0, g, workspace);

int failures = 0;
void Check(string what, double expected, double actual, double tolerance)
{
    if (!(Math.Abs(expected - actual) <= tolerance))
    {
        failures++;
        Console.Error.WriteLine($"FAIL {what}: expected {expected:R}, got {actual:R}");
    }
}

double[] yRef = HandLstm(Array.ConvertAll(x, v => (double)v), Array.ConvertAll(h0, v => (double)v),
    Array.ConvertAll(c0, v => (double)v), Array.ConvertAll(p.All, v => (double)v), out double[] hTRef, out double[] cTRef);
for (int k = 0; k < y.Length; k++) Check($"y[{k}]", yRef[k], y[k], 1e-6);
for (int k = 0; k < hT.Length; k++) Check($"hT[{k}]", hTRef[k], hT[k], 1e-6);
for (int k = 0; k < cT.Length; k++) Check($"cT[{k}]", cTRef[k], cT[k], 1e-6);

// Gradients against central differences of the hand-written LSTM (step 1e-6 in double: error about 1e-9).
double Loss(double[] xs, double[] hs, double[] cs, double[] ws) => HandLstm(xs, hs, cs, ws, out _, out _).Sum();
double[] xd = Array.ConvertAll(x, v => (double)v), hd = Array.ConvertAll(h0, v => (double)v);
double[] cd = Array.ConvertAll(c0, v => (double)v), wd = Array.ConvertAll(p.All, v => (double)v);
double Difference(double[] values, int k)
{
    double saved = values[k];
    values[k] = saved + 1e-6;
    double up = Loss(xd, hd, cd, wd);
    values[k] = saved - 1e-6;
    double down = Loss(xd, hd, cd, wd);
    values[k] = saved;
    return (up - down) / 2e-6;
}

for (int k = 0; k < dx.Length; k++) Check($"dx[{k}]", Difference(xd, k), dx[k], 1e-5);
for (int k = 0; k < dh0.Length; k++) Check($"dh0[{k}]", Difference(hd, k), dh0[k], 1e-5);
for (int k = 0; k < dc0.Length; k++) Check($"dc0[{k}]", Difference(cd, k), dc0[k], 1e-5);
for (int k = 0; k < g.All.Length; k++) Check($"gradient[{k}]", Difference(wd, k), g.All[k], 1e-5);
if (!y.Concat(dx).Concat(g.All).All(float.IsFinite)) { failures++; Console.Error.WriteLine("FAIL: a non-finite value"); }

// SimdRnn.Onnx: lstm.onnx (I = 3, H = 4) and PyTorch's x, h0, c0 -> y, hT, cT on it (T = 5, N = 2).
OnnxRecurrentNode node = OnnxRecurrentModel.Load(Path.Combine(AppContext.BaseDirectory, "lstm.onnx")).Nodes[0];
RecurrentStack onnxStack = node.Stack;
const int OnnxT = 5, OnnxN = 2;
int onnxState = OnnxN * onnxStack.HiddenSize;
float[] ox = new float[OnnxT * OnnxN * onnxStack.InputSize], oh0 = new float[onnxState], oc0 = new float[onnxState];
float[] oyExpected = new float[OnnxT * onnxState], ohTExpected = new float[onnxState], ocTExpected = new float[onnxState];
RecurrentParameters torchWeights = onnxStack.CreateParameters(); // PyTorch's state_dict, also in the file
using (var torch = new SafetensorsReader(Path.Combine(AppContext.BaseDirectory, "lstm.io.safetensors")))
{
    int[] state = [1, OnnxN, onnxStack.HiddenSize];
    torch.Read([new("x", [OnnxT, OnnxN, onnxStack.InputSize], ox), new("h0", state, oh0), new("c0", state, oc0),
        new("y", [OnnxT, OnnxN, onnxStack.HiddenSize], oyExpected), new("hT", state, ohTExpected), new("cT", state, ocTExpected),
        .. torchWeights.Names.Select(name => new SafetensorsTensor(name, torchWeights.Shape(name), torchWeights[name]))]);
}

// The ONNX gates (i, o, f, c and W, R, B) reordered into PyTorch's layout: exactly the state_dict.
for (int k = 0; k < torchWeights.All.Length; k++) Check($"onnx weight[{k}]", torchWeights.All[k], node.Parameters.All[k], 0);

float[] oy = new float[oyExpected.Length], ohT = new float[onnxState], ocT = new float[onnxState];
onnxStack.Forward(OnnxT, OnnxN, ox, oh0, oc0, node.Parameters, oy, ohT, ocT,
    new float[onnxStack.WorkspaceLength(OnnxT, OnnxN, training: false)], training: false);
for (int k = 0; k < oy.Length; k++) Check($"onnx y[{k}]", oyExpected[k], oy[k], 1e-5);
for (int k = 0; k < ohT.Length; k++) Check($"onnx hT[{k}]", ohTExpected[k], ohT[k], 1e-5);
for (int k = 0; k < ocT.Length; k++) Check($"onnx cT[{k}]", ocTExpected[k], ocT[k], 1e-5);
Console.WriteLine($"SimdRnn.Onnx: {node.OperatorType} node '{node.Name}' (I = {onnxStack.InputSize}, H = {onnxStack.HiddenSize}): y[0] = {oy[0]:R}, PyTorch {oyExpected[0]:R}");

Console.WriteLine($"SimdRnn {typeof(RecurrentStack).Assembly.GetName().Version} on path {Cpu.Path}: y[0] = {y[0]:R}, dx[0] = {dx[0]:R}");
Console.WriteLine(failures == 0 ? "package consumer: OK" : $"package consumer: {failures} checks FAILED");
return failures == 0 ? 0 : 1;

// PyTorch's LSTM (gates i, f, g, o; W_ih 4H x I, W_hh 4H x H, b_ih, b_hh in the state_dict order of p.All), T x N x I.
static double[] HandLstm(double[] x, double[] h0, double[] c0, double[] w, out double[] hT, out double[] cT)
{
    int wih = 0, whh = 4 * H * I, bih = whh + 4 * H * H, bhh = bih + 4 * H;
    double[] h = (double[])h0.Clone(), c = (double[])c0.Clone(), y = new double[T * N * H];
    static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
    for (int t = 0; t < T; t++)
    {
        double[] hNext = new double[N * H], cNext = new double[N * H];
        for (int n = 0; n < N; n++)
            for (int j = 0; j < H; j++)
            {
                double Gate(int gate)
                {
                    int row = gate * H + j;
                    double sum = w[bih + row] + w[bhh + row];
                    for (int k = 0; k < I; k++) sum += w[wih + row * I + k] * x[(t * N + n) * I + k];
                    for (int k = 0; k < H; k++) sum += w[whh + row * H + k] * h[n * H + k];
                    return sum;
                }

                double i = Sigmoid(Gate(0)), f = Sigmoid(Gate(1)), gg = Math.Tanh(Gate(2)), o = Sigmoid(Gate(3));
                cNext[n * H + j] = f * c[n * H + j] + i * gg;
                hNext[n * H + j] = o * Math.Tanh(cNext[n * H + j]);
                y[(t * N + n) * H + j] = hNext[n * H + j];
            }

        (h, c) = (hNext, cNext);
    }

    (hT, cT) = (h, c);
    return y;
}
