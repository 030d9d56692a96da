//! Links the firmware with `link.x` (only for the bare-metal target).

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    if std::env::var("TARGET").is_ok_and(|t| t.ends_with("-none-eabi")) {
        println!("cargo:rustc-link-arg=-T{dir}/link.x");
    }
    println!("cargo:rerun-if-changed=link.x");
}
