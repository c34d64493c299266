//! CPython's set, for integers: Ansible's `union`, `intersect`, `difference` and
//! `symmetric_difference` return `list(set(a) | set(b))` and friends, whose order is the order
//! of CPython's hash table. For integers that order is deterministic, so it is reproduced here
//! (open addressing with 9 linear probes, perturbation, resizing at 3/5 full).

const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;
const MIN_SIZE: usize = 8;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Unused,
    Dummy,
    Active(i64),
}

/// A set of integers laid out exactly as CPython lays out `set(...)`.
#[derive(Clone)]
pub struct IntSet {
    table: Vec<Slot>,
    fill: usize,
    used: usize,
}

/// Python's `hash(int)`.
fn py_hash(n: i64) -> i64 {
    const MODULUS: i128 = (1 << 61) - 1;
    let m = (i128::from(n).abs() % MODULUS) as i64;
    let h = if n < 0 { -m } else { m };
    if h == -1 { -2 } else { h }
}

impl IntSet {
    fn empty() -> Self {
        IntSet {
            table: vec![Slot::Unused; MIN_SIZE],
            fill: 0,
            used: 0,
        }
    }

    fn mask(&self) -> usize {
        self.table.len() - 1
    }

    /// `set(items)`.
    pub fn from_items(items: &[i64]) -> Self {
        let mut set = IntSet::empty();
        for &n in items {
            set.add(n);
        }
        set
    }

    /// The members in iteration order.
    pub fn items(&self) -> Vec<i64> {
        self.table
            .iter()
            .filter_map(|s| match s {
                Slot::Active(n) => Some(*n),
                _ => None,
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.used
    }

    /// Walks the probe sequence of `hash` until `visit` returns `Some`.
    fn probe<T>(mask: usize, hash: i64, mut visit: impl FnMut(usize) -> Option<T>) -> T {
        let mut perturb = hash as u64 as usize;
        let mut i = (hash as u64 as usize) & mask;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in i..=i + probes {
                if let Some(found) = visit(j) {
                    return found;
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i.wrapping_mul(5).wrapping_add(1).wrapping_add(perturb)) & mask;
        }
    }

    /// `set_add_entry`.
    fn add(&mut self, n: i64) {
        let hash = py_hash(n);
        let mask = self.mask();
        let table = &self.table;
        let mut freeslot = None;
        let target = Self::probe(mask, hash, |j| match table[j] {
            Slot::Unused => Some(Err(j)),
            Slot::Active(m) if m == n => Some(Ok(())),
            Slot::Dummy => {
                freeslot.get_or_insert(j);
                None
            }
            Slot::Active(_) => None,
        });
        let Err(unused) = target else {
            return;
        };
        if let Some(free) = freeslot {
            self.table[free] = Slot::Active(n);
            self.used += 1;
            return;
        }
        self.table[unused] = Slot::Active(n);
        self.fill += 1;
        self.used += 1;
        if self.fill * 5 >= mask * 3 {
            self.resize(if self.used > 50_000 {
                self.used * 2
            } else {
                self.used * 4
            });
        }
    }

    fn insert_clean(table: &mut [Slot], n: i64) {
        let mask = table.len() - 1;
        let slot = Self::probe(mask, py_hash(n), |j| (table[j] == Slot::Unused).then_some(j));
        table[slot] = Slot::Active(n);
    }

    /// `set_table_resize`.
    fn resize(&mut self, minused: usize) {
        let mut size = MIN_SIZE;
        while size <= minused {
            size <<= 1;
        }
        let old = std::mem::replace(&mut self.table, vec![Slot::Unused; size]);
        for slot in old {
            if let Slot::Active(n) = slot {
                Self::insert_clean(&mut self.table, n);
            }
        }
        self.fill = self.used;
    }

    pub fn contains(&self, n: i64) -> bool {
        let table = &self.table;
        Self::probe(self.mask(), py_hash(n), |j| match table[j] {
            Slot::Unused => Some(false),
            Slot::Active(m) if m == n => Some(true),
            _ => None,
        })
    }

    fn discard(&mut self, n: i64) -> bool {
        let table = &self.table;
        let found = Self::probe(self.mask(), py_hash(n), |j| match table[j] {
            Slot::Unused => Some(None),
            Slot::Active(m) if m == n => Some(Some(j)),
            _ => None,
        });
        match found {
            Some(j) => {
                self.table[j] = Slot::Dummy;
                self.used -= 1;
                true
            }
            None => false,
        }
    }

    /// `set_merge(self, other)`.
    fn merge(&mut self, other: &IntSet) {
        if (self.fill + other.used) * 5 >= self.mask() * 3 {
            self.resize((self.used + other.used) * 2);
        }
        if self.fill == 0 && self.mask() == other.mask() && other.fill == other.used {
            self.table = other.table.clone();
            self.fill = other.fill;
            self.used = other.used;
            return;
        }
        if self.fill == 0 {
            self.fill = other.used;
            self.used = other.used;
            for n in other.items() {
                Self::insert_clean(&mut self.table, n);
            }
            return;
        }
        for n in other.items() {
            self.add(n);
        }
    }

    /// `set(other_set)`: a copy made the way CPython copies.
    fn copy(other: &IntSet) -> Self {
        let mut set = IntSet::empty();
        set.merge(other);
        set
    }

    /// `self | other`.
    pub fn union(&self, other: &IntSet) -> IntSet {
        let mut result = IntSet::copy(self);
        result.merge(other);
        result
    }

    /// `self & other`.
    pub fn intersection(&self, other: &IntSet) -> IntSet {
        let (big, small) = if other.len() > self.len() {
            (other, self)
        } else {
            (self, other)
        };
        let mut result = IntSet::empty();
        for n in small.items() {
            if big.contains(n) {
                result.add(n);
            }
        }
        result
    }

    /// `self - other`.
    pub fn difference(&self, other: &IntSet) -> IntSet {
        if (self.len() >> 2) > other.len() {
            let mut result = IntSet::copy(self);
            for n in other.items() {
                result.discard(n);
            }
            return result;
        }
        let mut result = IntSet::empty();
        for n in self.items() {
            if !other.contains(n) {
                result.add(n);
            }
        }
        result
    }

    /// `self ^ other`.
    pub fn symmetric_difference(&self, other: &IntSet) -> IntSet {
        let mut result = IntSet::copy(other);
        for n in self.items() {
            if !result.discard(n) {
                result.add(n);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(a: &[i64], b: &[i64]) -> [Vec<i64>; 4] {
        let (sa, sb) = (IntSet::from_items(a), IntSet::from_items(b));
        [
            sa.union(&sb).items(),
            sa.intersection(&sb).items(),
            sa.difference(&sb).items(),
            sa.symmetric_difference(&sb).items(),
        ]
    }

    /// Expected values printed by CPython 3.11: `list(set(a) | set(b))`, `&`, `-`, `^`.
    #[test]
    fn orders_like_cpython() {
        assert_eq!(
            ops(&[3, 1, 2], &[5, 4]),
            [vec![1, 2, 3, 4, 5], vec![], vec![1, 2, 3], vec![1, 2, 3, 4, 5]]
        );
        assert_eq!(
            ops(&[80, 443, 8080], &[22, 443]),
            [
                vec![80, 8080, 22, 443],
                vec![443],
                vec![80, 8080],
                vec![80, 8080, 22]
            ]
        );
        let a: Vec<i64> = (1..=20).rev().collect();
        let [u, i, d, s] = ops(&a, &[100, 7, 64]);
        let mut want_u = vec![64];
        want_u.extend(1..=20);
        want_u.push(100);
        assert_eq!(u, want_u);
        assert_eq!(i, vec![7]);
        assert_eq!(d, (1..=20).filter(|n| *n != 7).collect::<Vec<_>>());
        let mut want_s: Vec<i64> = (1..=20).filter(|n| *n != 7).collect();
        want_s.extend([64, 100]);
        assert_eq!(s, want_s);
        assert_eq!(
            ops(&[-1, -2, 5, 13], &[21, 29, -1]),
            [
                vec![29, 5, -2, 21, 13, -1],
                vec![-1],
                vec![5, 13, -2],
                vec![5, 13, 21, 29, -2]
            ]
        );
        assert_eq!(
            ops(&[1_000_000, 17, 33, 49], &[65, 81, 97, 113, 129, 145]),
            [
                vec![1_000_000, 33, 65, 129, 97, 17, 49, 81, 113, 145],
                vec![],
                vec![1_000_000, 17, 33, 49],
                vec![1_000_000, 65, 129, 81, 145, 17, 97, 33, 113, 49]
            ]
        );
    }
}
