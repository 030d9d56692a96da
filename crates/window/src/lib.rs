//! The phone's face on screen: `render` draws a `PhoneView` (LCD, icons,
//! backlight, LEDs, keys, handset, side panel, help) into a `Frame` with no
//! display needed; `Window` shows it with minifb and reports keyboard and
//! mouse input as `UiEvent`s without ever blocking the emulator.
//!
//! Guarantees: rendering is pure and deterministic; the window never sleeps
//! in `update`; every board key can be pressed from the keyboard and the
//! mouse (`keymap`, `assets/faceplate/st20xx.toml`).

pub mod font;
pub mod frame;
pub mod icons;
pub mod keymap;
pub mod layout;
pub mod render;
pub mod snapshot;
pub mod view;
pub mod window;

pub use frame::Frame;
pub use render::{RenderOptions, render};
pub use snapshot::{SnapshotError, save_png, write_png};
pub use view::{Color, Led, LedMode, PhoneView, UiEvent};
pub use window::{Window, WindowError, WindowOptions, display_available};
