# Homebrew formula for swrole, built from a tagged source tarball.
#   brew install --build-from-source ./contrib/homebrew/swrole.rb
# For a tap: set `url` to the release tarball of the tag and `sha256` to its checksum
# (`shasum -a 256 swrole-X.Y.Z.tar.gz`). Not run here (no macOS in CI): see the README.
class Swrole < Formula
  desc "Switch AWS IAM roles in the current shell, with MFA, cache and keychain"
  homepage "https://github.com/swrole/swrole"
  url "https://github.com/swrole/swrole/archive/refs/tags/v0.1.0.tar.gz"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  license "Apache-2.0"

  depends_on "rust" => :build

  def install
    system "cargo", "install", "--locked", *std_cargo_args
    (man1/"swrole.1").write Utils.safe_popen_read(bin/"swrole", "man")
    (bash_completion/"swrole").write Utils.safe_popen_read(bin/"swrole", "completions", "bash")
    (zsh_completion/"_swrole").write Utils.safe_popen_read(bin/"swrole", "completions", "zsh")
    (fish_completion/"swrole.fish").write Utils.safe_popen_read(bin/"swrole", "completions", "fish")
    (share/"swrole").install Dir["shell/*"]
  end

  def caveats
    <<~EOS
      Add the shell integration (the `sw` function) to ~/.zshrc:
        eval "$(swrole init zsh)"
    EOS
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/swrole --version")
    assert_match "__swrole_sw", shell_output("#{bin}/swrole init zsh")
  end
end
