//! Python's `random.Random` (Mersenne Twister, CPython's seeding and range reduction), so that
//! `random(seed=inventory_hostname)` and `shuffle(seed=...)` pick what Ansible picks.

use sha2::{Digest, Sha512};

const N: usize = 624;
const M: usize = 397;

/// A Python-compatible pseudo-random generator.
pub struct PyRandom {
    state: [u32; N],
    index: usize,
}

impl PyRandom {
    /// `random.Random(text)`: the string's UTF-8 bytes followed by their SHA-512 digest, read as
    /// one big-endian integer.
    pub fn from_str_seed(seed: &str) -> Self {
        let mut bytes = seed.as_bytes().to_vec();
        bytes.extend_from_slice(&Sha512::digest(seed.as_bytes()));
        Self::from_be_bytes(&bytes)
    }

    /// `random.Random(n)` for an integer seed.
    pub fn from_int_seed(seed: i128) -> Self {
        Self::from_be_bytes(&seed.unsigned_abs().to_be_bytes())
    }

    fn from_be_bytes(bytes: &[u8]) -> Self {
        // 32-bit words, least significant first, without leading zero words.
        let mut words: Vec<u32> = bytes
            .rchunks(4)
            .map(|chunk| chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
            .collect();
        while words.len() > 1 && words.last() == Some(&0) {
            words.pop();
        }
        if words.is_empty() {
            words.push(0);
        }
        let mut rng = PyRandom {
            state: [0; N],
            index: N + 1,
        };
        rng.init_by_array(&words);
        rng
    }

    fn init_genrand(&mut self, s: u32) {
        self.state[0] = s;
        for i in 1..N {
            let prev = self.state[i - 1];
            self.state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        self.index = N;
    }

    fn init_by_array(&mut self, key: &[u32]) {
        self.init_genrand(19_650_218);
        let (mut i, mut j) = (1usize, 0usize);
        let mut k = N.max(key.len());
        while k > 0 {
            let prev = self.state[i - 1];
            self.state[i] = (self.state[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                self.state[0] = self.state[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
            k -= 1;
        }
        k = N - 1;
        while k > 0 {
            let prev = self.state[i - 1];
            self.state[i] =
                (self.state[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                self.state[0] = self.state[N - 1];
                i = 1;
            }
            k -= 1;
        }
        self.state[0] = 0x8000_0000;
    }

    fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            for kk in 0..N {
                let y = (self.state[kk] & 0x8000_0000) | (self.state[(kk + 1) % N] & 0x7fff_ffff);
                let mut v = self.state[(kk + M) % N] ^ (y >> 1);
                if y & 1 != 0 {
                    v ^= 0x9908_b0df;
                }
                self.state[kk] = v;
            }
            self.index = 0;
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `getrandbits(k)`.
    fn getrandbits(&mut self, k: u32) -> u128 {
        if k <= 32 {
            return u128::from(self.next_u32() >> (32 - k));
        }
        let mut result: u128 = 0;
        let mut remaining = k;
        let mut shift = 0;
        while remaining > 0 {
            let mut r = self.next_u32();
            if remaining < 32 {
                r >>= 32 - remaining;
            }
            result |= u128::from(r) << shift;
            shift += 32;
            remaining = remaining.saturating_sub(32);
        }
        result
    }

    /// `_randbelow(n)`: uniform in `0..n`.
    pub fn below(&mut self, n: u128) -> u128 {
        if n == 0 {
            return 0;
        }
        let k = 128 - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `randrange(start, stop, step)`, or `None` for an empty range.
    pub fn randrange(&mut self, start: i128, stop: i128, step: i128) -> Option<i128> {
        let width = stop - start;
        let n = if step == 1 {
            width
        } else if step > 0 {
            (width + step - 1).div_euclid(step)
        } else if step < 0 {
            (width + step + 1).div_euclid(step)
        } else {
            return None;
        };
        if n <= 0 {
            return None;
        }
        Some(start + step * self.below(n as u128) as i128)
    }

    /// `shuffle(list)` in place.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u128 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cpython() {
        // python3 -c "import random; r=random.Random(42); print([r.randrange(0,100) for _ in range(3)])"
        let mut r = PyRandom::from_int_seed(42);
        let got: Vec<i128> = (0..3)
            .map(|_| r.randrange(0, 100, 1).expect("non-empty"))
            .collect();
        assert_eq!(got, vec![81, 14, 3]);
        // python3 -c "import random; print(random.Random('web1').randrange(0, 60))"
        let mut r = PyRandom::from_str_seed("web1");
        assert_eq!(r.randrange(0, 60, 1), Some(52));
        // python3 -c "import random; r=random.Random('x'); l=list(range(10)); r.shuffle(l); print(l)"
        let mut l: Vec<i32> = (0..10).collect();
        PyRandom::from_str_seed("x").shuffle(&mut l);
        assert_eq!(l, vec![0, 8, 2, 9, 4, 3, 6, 1, 7, 5]);
    }
}
