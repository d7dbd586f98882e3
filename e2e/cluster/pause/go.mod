// The pause program of up.sh --node's pod sandboxes (containerd's sandbox_image), built here
// because no image registry on the internet is reachable. Standard library only.
module modelship.dev/e2e/cluster/pause

go 1.24
