//! A tiny Thumb-2 assembler for test programs: the handful of instructions
//! the board tests need, checked against llvm-mc's encodings below.

use std::collections::HashMap;

#[derive(Clone, Copy)]
enum Fix {
    B,
    Cond(u16),
}

pub struct Asm {
    hw: Vec<u16>,
    labels: HashMap<&'static str, usize>,
    fixups: Vec<(usize, &'static str, Fix)>,
}

pub const SYSCTL: u32 = board::periph::sysctl::BASE;
pub const UART: u32 = board::periph::uart::BASE;

impl Asm {
    /// Position-independent code (branches are relative), no vector table.
    pub fn code() -> Asm {
        Asm { hw: Vec::new(), labels: HashMap::new(), fixups: Vec::new() }
    }

    /// A boot ROM: vector table (SP = top of SRAM, reset = 8) then code.
    pub fn rom() -> Asm {
        let mut a = Asm::code();
        let sp = board::map::SRAM.end();
        a.hw.extend([sp as u16, (sp >> 16) as u16, 9, 0]);
        a
    }

    /// Fills with `nop`s up to byte offset `at` (from the start of the code).
    pub fn pad_to(&mut self, at: usize) -> &mut Self {
        assert!(at.is_multiple_of(2) && at >= self.hw.len() * 2, "cannot pad back to {at:#x}");
        self.hw.resize(at / 2, 0xBF00);
        self
    }

    pub fn label(&mut self, name: &'static str) -> &mut Self {
        self.labels.insert(name, self.hw.len());
        self
    }

    pub fn raw(&mut self, h: u16) -> &mut Self {
        self.hw.push(h);
        self
    }

    fn mov16(&mut self, top: u16, rd: u16, imm: u16) {
        let (imm4, i, imm3, imm8) = (imm >> 12, (imm >> 11) & 1, (imm >> 8) & 7, imm & 0xFF);
        self.hw.push(top | i << 10 | imm4);
        self.hw.push(imm3 << 12 | rd << 8 | imm8);
    }

    /// `movw rd, #lo; movt rd, #hi`
    pub fn li(&mut self, rd: u16, v: u32) -> &mut Self {
        self.mov16(0xF240, rd, v as u16);
        self.mov16(0xF2C0, rd, (v >> 16) as u16);
        self
    }
    pub fn str(&mut self, rt: u16, rn: u16, off: u16) -> &mut Self {
        self.raw(0x6000 | (off / 4) << 6 | rn << 3 | rt)
    }
    pub fn ldr(&mut self, rt: u16, rn: u16, off: u16) -> &mut Self {
        self.raw(0x6800 | (off / 4) << 6 | rn << 3 | rt)
    }
    pub fn strb(&mut self, rt: u16, rn: u16, off: u16) -> &mut Self {
        self.raw(0x7000 | off << 6 | rn << 3 | rt)
    }
    pub fn ldrb(&mut self, rt: u16, rn: u16, off: u16) -> &mut Self {
        self.raw(0x7800 | off << 6 | rn << 3 | rt)
    }
    pub fn cmp(&mut self, rn: u16, imm: u16) -> &mut Self {
        self.raw(0x2800 | rn << 8 | imm)
    }
    pub fn adds(&mut self, rd: u16, imm: u16) -> &mut Self {
        self.raw(0x3000 | rd << 8 | imm)
    }
    pub fn subs(&mut self, rd: u16, imm: u16) -> &mut Self {
        self.raw(0x3800 | rd << 8 | imm)
    }
    pub fn movs(&mut self, rd: u16, imm: u16) -> &mut Self {
        self.raw(0x2000 | rd << 8 | imm)
    }
    pub fn add3(&mut self, rd: u16, rn: u16, rm: u16) -> &mut Self {
        self.raw(0x1800 | rm << 6 | rn << 3 | rd)
    }
    pub fn ands(&mut self, rdn: u16, rm: u16) -> &mut Self {
        self.raw(0x4000 | rm << 3 | rdn)
    }
    pub fn orrs(&mut self, rdn: u16, rm: u16) -> &mut Self {
        self.raw(0x4300 | rm << 3 | rdn)
    }
    pub fn bx(&mut self, rm: u16) -> &mut Self {
        self.raw(0x4700 | rm << 3)
    }
    pub fn wfi(&mut self) -> &mut Self {
        self.raw(0xBF30)
    }
    pub fn udf(&mut self, n: u16) -> &mut Self {
        self.raw(0xDE00 | n)
    }
    pub fn bkpt(&mut self, n: u16) -> &mut Self {
        self.raw(0xBE00 | n)
    }
    pub fn svc(&mut self, n: u16) -> &mut Self {
        self.raw(0xDF00 | n)
    }
    pub fn b(&mut self, l: &'static str) -> &mut Self {
        self.fixups.push((self.hw.len(), l, Fix::B));
        self.raw(0xE000)
    }
    pub fn beq(&mut self, l: &'static str) -> &mut Self {
        self.fixups.push((self.hw.len(), l, Fix::Cond(0)));
        self.raw(0xD000)
    }
    pub fn bne(&mut self, l: &'static str) -> &mut Self {
        self.fixups.push((self.hw.len(), l, Fix::Cond(1)));
        self.raw(0xD100)
    }

    /// `*(addr) = value` (clobbers r0, r1).
    pub fn poke(&mut self, addr: u32, value: u32) -> &mut Self {
        self.li(0, addr).li(1, value).str(1, 0, 0)
    }
    /// `r2 = *(addr)` (clobbers r0).
    pub fn peek(&mut self, addr: u32) -> &mut Self {
        self.li(0, addr).ldr(2, 0, 0)
    }
    /// Writes `text` to the UART byte by byte (clobbers r0, r1).
    pub fn log(&mut self, text: &str) -> &mut Self {
        self.li(0, UART);
        for b in text.bytes() {
            self.movs(1, b as u16).strb(1, 0, 0);
        }
        self
    }
    /// Logs the byte in r2 plus `'0'` as one character line (clobbers r0, r1).
    pub fn log_digit_r2(&mut self) -> &mut Self {
        self.li(0, UART).movs(1, b'0' as u16).add3(1, 1, 2).strb(1, 0, 0).movs(1, b'\n' as u16).strb(1, 0, 0)
    }
    /// Sets the wake deadline (timer µs) and executes `wfi`.
    pub fn sleep(&mut self, deadline: u64) -> &mut Self {
        self.li(0, SYSCTL).li(1, deadline as u32).str(1, 0, 0x14).li(1, (deadline >> 32) as u32).str(1, 0, 0x18).wfi()
    }
    /// Sleeps until an event, forever.
    pub fn sleep_forever(&mut self) -> &mut Self {
        self.label("__forever").sleep(u64::MAX).b("__forever")
    }

    pub fn finish(&mut self) -> Vec<u8> {
        for &(at, l, fix) in &self.fixups {
            let target = self.labels[l] as i64;
            let off = (target - (at as i64 + 2)) as i16 as u16; // in halfwords, from pc + 4
            self.hw[at] = match fix {
                Fix::B => 0xE000 | (off & 0x7FF),
                Fix::Cond(c) => 0xD000 | c << 8 | (off & 0xFF),
            };
        }
        self.hw.iter().flat_map(|h| h.to_le_bytes()).collect()
    }
}

#[test]
fn encodings_match_llvm_mc() {
    let mut a = Asm::code();
    a.li(0, 0x4000_1234).li(7, 0xFFFF_F00D).str(1, 0, 4).ldr(2, 0, 124).strb(1, 0, 3).ldrb(3, 4, 1);
    a.cmp(2, 5).adds(3, 1).subs(3, 1).movs(1, 65).add3(1, 2, 3).bx(0);
    a.label("l").b("l").beq("l").bne("m").raw(0xBF00).label("m").wfi();
    let expect: &[u8] = &[
        0x41, 0xf2, 0x34, 0x20, 0xc4, 0xf2, 0x00, 0x00, 0x4f, 0xf2, 0x0d, 0x07, 0xcf, 0xf6, 0xff, 0x77, 0x41, 0x60, 0xc2, 0x6f, 0xc1, 0x70,
        0x63, 0x78, 0x05, 0x2a, 0x01, 0x33, 0x01, 0x3b, 0x41, 0x21, 0xd1, 0x18, 0x00, 0x47, 0xfe, 0xe7, 0xfd, 0xd0, 0x00, 0xd1, 0x00, 0xbf,
        0x30, 0xbf,
    ];
    assert_eq!(a.finish(), expect);
}
