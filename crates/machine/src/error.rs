//! Why a machine could not be built.

/// A machine could not be created or reset.
#[derive(Debug, thiserror::Error)]
pub enum MachineError {
    #[error("boot ROM is {0} bytes; the board has 64 KiB")]
    RomTooLarge(usize),
    #[error("flash image is {0} bytes; the board has 8 MiB")]
    FlashTooLarge(usize),
    #[error("flash given twice: both an image and a flash template")]
    FlashTwice,
    #[error(transparent)]
    HostMemory(#[from] crate::hostmem::HostMemError),
    #[error("unicorn: {what}: {code}")]
    Unicorn { what: &'static str, code: String },
}
