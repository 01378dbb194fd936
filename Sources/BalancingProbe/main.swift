import Balancing

print(ServerPicker.maglevDigest(serverNames: ServerPicker.digestProbeServers))
