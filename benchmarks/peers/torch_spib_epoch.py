#!/usr/bin/python3
"""PyTorch timing of one SPIB epoch at the shapes of `go test ./learn/spib -bench Epoch`.

The peer is the official SPIB model (Wang & Tiwary, J. Chem. Phys. 154, 134111 (2021);
github.com/tiwarylab/State-Predictive-Information-Bottleneck) written out here for timing only:
'Nonlinear' encoder 2-16-16 with a mean head 16->2 and a log-variance head
-10*sigmoid(16->2), decoder 2-16-16-K with log-softmax, VampPrior over K representative inputs
passed through the encoder, Adam lr 1e-3, beta 1e-3, batch 512, float32 on one thread as the
reference runs on a CPU.

One epoch is the same work as the Go benchmark's "epoch": a training pass over 6e4 pairs
(117 full batches), the loss over 2e4 test pairs without gradients, and the relabelling of the 6e4
training future frames (encoder mean -> decoder -> argmax), batch 512 throughout. Inputs are
Gaussian points (the cost does not depend on their values). Prints JSON: seconds per epoch
(median and min of the timed epochs) and the same per 9e4 training samples.

    /usr/bin/python3 benchmarks/peers/torch_spib_epoch.py [K] [epochs]
"""
import json, sys, time
import torch
import torch.nn as nn

torch.set_num_threads(1)
torch.manual_seed(0)

K = int(sys.argv[1]) if len(sys.argv) > 1 else 100
EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
D, H, Z, B, BETA = 2, 16, 2, 512, 1e-3
N_TRAIN, N_TEST = 60000, 20000


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU())
        self.mean = nn.Linear(H, Z)
        self.logvar = nn.Sequential(nn.Linear(H, Z), nn.Sigmoid())
        self.dec = nn.Sequential(nn.Linear(Z, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(),
                                 nn.Linear(H, K), nn.LogSoftmax(dim=1))
        self.w = nn.Linear(K, 1, bias=False)
        nn.init.ones_(self.w.weight)
        self.register_buffer("reps", torch.randn(K, D))
        self.register_buffer("eye", torch.eye(K))

    def encode(self, x):
        h = self.enc(x)
        return self.mean(h), -10 * self.logvar(h)

    def log_p(self, z):
        rm, rl = self.encode(self.reps)
        w = torch.softmax(self.w(self.eye), dim=0)
        lq = -0.5 * torch.sum(rl[None] + (z[:, None] - rm[None]) ** 2 / torch.exp(rl[None]), dim=2)
        return torch.sum(torch.log(torch.exp(lq) @ w + 1e-10), dim=1)

    def loss(self, x, y):
        mu, lv = self.encode(x)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        out = self.dec(z)
        lq = -0.5 * torch.sum(lv + (z - mu) ** 2 / torch.exp(lv), dim=1)
        return torch.mean(torch.sum(-y * out, dim=1)) + BETA * torch.mean(lq - self.log_p(z))


def main():
    m = Model()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    x_train, x_test, x_future = torch.randn(N_TRAIN, D), torch.randn(N_TEST, D), torch.randn(N_TRAIN, D)
    eye = torch.eye(K)
    y_train = eye[torch.randint(0, K, (N_TRAIN,))]
    y_test = eye[torch.randint(0, K, (N_TEST,))]

    def epoch():
        perm = torch.randperm(N_TRAIN)
        for i in range(0, N_TRAIN - B + 1, B):
            idx = perm[i:i + B]
            loss = m.loss(x_train[idx], y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            test = sum(m.loss(x_test[i:i + B], y_test[i:i + B]) * len(x_test[i:i + B])
                       for i in range(0, N_TEST, B)) / N_TEST
            labels = torch.cat([m.dec(m.encode(x_future[i:i + B])[0]).argmax(1)
                                for i in range(0, N_TRAIN, B)])
        return float(test), labels

    epoch()
    ts = []
    for _ in range(EPOCHS):
        t0 = time.perf_counter()
        epoch()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    med = ts[len(ts) // 2]
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "K": K,
                      "epoch_s_median": round(med, 4), "epoch_s_min": round(ts[0], 4),
                      "per_9e4_samples_s": round(med * 1.5, 4)}))


main()
