//! Records the host target triple for `cargo xtask ci`.
fn main() {
    println!("cargo:rustc-env=XTASK_HOST={}", std::env::var("TARGET").expect("cargo sets TARGET"));
}
