"""A Telegram coach for a physiotherapist's home-exercise programme."""
