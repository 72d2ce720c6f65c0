//! xorshift64*: a small deterministic generator, reproducible from its seed, no dependency.
//! For the soak's fault mix, the fuzz replay's mutations and the classifier tests' messages.

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A generator for message number `n` (any `n`, 0 included: xorshift never leaves 0).
    pub fn seeded(n: u64) -> Rng {
        Rng(n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// One word of `pool`.
    pub fn pick<'a>(&mut self, pool: &[&'a str]) -> &'a str {
        pool[self.below(pool.len())]
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
