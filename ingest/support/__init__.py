"""Small helpers the stages share: crash points for the tests, the single-writer lock, SQL quoting,
child processes that die with their parent."""
