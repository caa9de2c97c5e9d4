// さくら精機 標準 PAC (PAC ファイル管理からのコピー)
function FindProxyForURL(url, host) {
    if (isPlainHostName(host) || dnsDomainIs(host, ".sakura.example"))
        return "DIRECT";
    if (isInNet(host, "10.0.0.0", "255.0.0.0"))
        return "DIRECT";
    return "PROXY iwsva01.sakura.example:8080; PROXY iwsva02.sakura.example:8080";
}
