using System.Buffers.Binary;
using System.Net;
using RosaOS.Vision.Images;

namespace RosaOS.Vision.Tests;

/// <summary>Pictures are sized from their headers before decoding, and image URLs reach only public addresses.</summary>
public sealed class BoundsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void A_png_bomb_is_refused_before_decoding_and_a_real_picture_decodes()
    {
        // A 24-byte PNG header claiming 100000 x 100000 pixels (10 gigapixels, 30 GB decoded).
        var bomb = new byte[64];
        new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' }.CopyTo(bomb, 0);
        BinaryPrimitives.WriteUInt32BigEndian(bomb.AsSpan(16), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(bomb.AsSpan(20), 100_000);
        var error = Assert.Throws<VisionException>(() => BoundedImage.Decode(bomb, "bomb.png"));
        Assert.Contains("100000x100000", error.Message, StringComparison.Ordinal);

        var real = File.ReadAllBytes(Path.Combine(VisionFixture.PicturesDirectory, "chelsea.png"));
        Assert.NotNull(BoundedImage.TryReadSize(real));
        using var decoded = BoundedImage.Decode(real);
        Assert.False(decoded.Empty());
        Assert.Equal(BoundedImage.TryReadSize(real)!.Value.Width, decoded.Width);
    }

    [Fact]
    public void A_jpeg_bomb_is_refused_before_decoding()
    {
        // SOI, then a baseline SOF0 claiming 65535 x 65535 pixels.
        byte[] bomb = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9];
        Assert.Equal((65535, 65535), BoundedImage.TryReadSize(bomb));
        Assert.Throws<VisionException>(() => BoundedImage.Decode(bomb));
        Assert.True(BoundedImage.DecodeOrEmpty(bomb).Empty());
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.1", false)]
    [InlineData("192.168.1.10", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00:ec2::254", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("93.184.215.14", true)]
    [InlineData("2606:4700::1111", true)]
    public void Only_public_addresses_are_public(string address, bool expected)
        => Assert.Equal(expected, PublicAddressHandler.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task An_image_url_cannot_reach_this_machine_by_address_or_by_name_unless_allowed()
    {
        await using var server = await ImageStoreTests.ImageServer.StartAsync();
        var images = Testing.TestPaths.NewTempDirectory("images");
        using (var guarded = new HttpClient(PublicAddressHandler.Create()))
        using (var store = new ImageStore(new ImageStoreOptions { ImagesDirectory = images, AllowUrls = true }, guarded))
        {
            foreach (var url in new[] { server.Url("/cat.png"), server.Url("/cat.png").Replace("127.0.0.1", "localhost", StringComparison.Ordinal) })
            {
                var error = await Assert.ThrowsAsync<VisionException>(() => store.ResolveAsync(url, Ct));
                Assert.Contains("not a public address", error.Message, StringComparison.Ordinal);
            }
        }
        Assert.Equal(0, server.Requests);
        using var allowed = new HttpClient(PublicAddressHandler.Create(["127.0.0.0/8"]));
        using var allowedStore = new ImageStore(new ImageStoreOptions { ImagesDirectory = images, AllowUrls = true }, allowed);
        var path = await allowedStore.ResolveAsync(server.Url("/cat.png"), Ct);
        Assert.True(File.Exists(path));
    }
}
