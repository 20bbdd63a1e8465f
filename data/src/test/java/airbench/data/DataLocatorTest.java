package airbench.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataLocatorTest {
    private static final CifarVariant V = CifarVariant.CIFAR10;
    private static final RecordCounts SMALL = new RecordCounts(2, 2);

    @TempDir
    Path root;
    Path explicit;
    Path fromEnvironment;
    Path cache;
    Path fallback1;
    Path fallback2;
    /** Fails the test if the locator tries to download when it should not. */
    private final Downloader noDownload = Downloader.disabled("this test must not download");

    @BeforeEach
    void folders() throws IOException {
        explicit = Files.createDirectories(root.resolve("explicit"));
        fromEnvironment = Files.createDirectories(root.resolve("env"));
        cache = root.resolve("cache"); // absent until something is put there, like a fresh ~/.cache/airbench
        fallback1 = Files.createDirectories(root.resolve("fallback1"));
        fallback2 = Files.createDirectories(root.resolve("fallback2"));
    }

    private static Path putArchive(Path folder) throws IOException {
        Files.createDirectories(folder);
        Path archive = folder.resolve(V.archiveFileName());
        CifarFiles.writeArchive(archive, V.folderName(), CifarFiles.dataFiles(V, SMALL));
        return archive;
    }

    private static Path putExtracted(Path folder) throws IOException {
        Path sub = folder.resolve(V.folderName());
        CifarFiles.writeFolder(sub, CifarFiles.dataFiles(V, SMALL));
        return sub;
    }

    private Path locate(Optional<Path> explicitPath, Map<String, String> environment, Downloader downloader) {
        return DataLocator.locate(V, explicitPath, environment, cache, List.of(fallback1, fallback2), downloader);
    }

    private Map<String, String> environment() {
        return Map.of("AIRBENCH_DATA", fromEnvironment.toString());
    }

    @Test
    void theExplicitPathComesFirst() throws IOException {
        Path archive = putArchive(explicit);
        putArchive(fromEnvironment);
        putArchive(cache);
        putArchive(fallback1);

        assertEquals(archive, locate(Optional.of(explicit), environment(), noDownload));
        assertEquals(archive, locate(Optional.of(archive), environment(), noDownload), "a file is the archive");
    }

    @Test
    void theEnvironmentVariableComesBeforeTheCache() throws IOException {
        Path extracted = putExtracted(fromEnvironment);
        putArchive(cache);
        putArchive(fallback1);

        assertEquals(extracted, locate(Optional.empty(), environment(), noDownload));
    }

    @Test
    void theCacheComesBeforeTheFallbacks() throws IOException {
        Path archive = putArchive(cache);
        putArchive(fallback1);

        assertEquals(archive, locate(Optional.empty(), Map.of(), noDownload));
    }

    @Test
    void fallbacksAreTriedInOrder() throws IOException {
        Path second = putArchive(fallback2);
        assertEquals(second, locate(Optional.empty(), Map.of(), noDownload));

        Path first = putExtracted(fallback1);
        assertEquals(first, locate(Optional.empty(), Map.of(), noDownload));
    }

    @Test
    void extractedFilesInTheFolderItselfAreFound() throws IOException {
        CifarFiles.writeFolder(explicit, CifarFiles.dataFiles(V, SMALL));
        assertEquals(explicit, locate(Optional.of(explicit), Map.of(), noDownload));
    }

    @Test
    void downloadsIntoTheCacheWhenNothingIsFoundAndThenUsesTheCache() throws IOException {
        Path served = root.resolve("served.tar.gz");
        CifarFiles.writeArchive(served, V.folderName(), CifarFiles.dataFiles(V, SMALL));
        byte[] bytes = Files.readAllBytes(served);
        try (LocalServer server = LocalServer.serving(bytes)) {
            Downloader downloader = Downloader.from(server.url("cifar-10-binary.tar.gz"), LocalServer.md5(bytes));

            Path located = locate(Optional.empty(), Map.of(), downloader);

            assertEquals(cache.resolve(V.archiveFileName()), located);
            assertEquals(1, server.requests.get());
            assertEquals(30, CifarReader.read(located, V, SMALL).train().size() + 20);

            assertEquals(located, locate(Optional.empty(), Map.of(), downloader));
            assertEquals(1, server.requests.get(), "the second run must use the cached archive");
        }
    }

    @Test
    void offlineNamesEveryPlaceAndHowToProvideTheData() throws IOException {
        URI nowhere = LocalServer.unreachable();
        Files.delete(fallback2);

        DataException e = assertThrows(DataException.class,
                () -> locate(Optional.empty(), Map.of("AIRBENCH_DATA", " "), Downloader.from(nowhere,
                        "c32a1d4ab5d03f1284b67883e8d87530")));

        String message = e.getMessage();
        String expectedStart = "CIFAR-10 data not found, and it could not be downloaded.\n"
                + "Looked at:\n"
                + "  --data-dir: not given\n"
                + "  AIRBENCH_DATA: not set\n"
                + "  " + cache + ": does not exist\n"
                + "  " + fallback1 + ": no cifar-10-binary.tar.gz or the extracted files (data_batch_1.bin,"
                + " data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin, test_batch.bin)"
                + " directly or in cifar-10-batches-bin/\n"
                + "  " + fallback2 + ": does not exist\n"
                + "Then tried the download of " + nowhere + " into " + cache + ": downloading " + nowhere
                + " failed (java.net.ConnectException";
        assertTrue(message.startsWith(expectedStart), message);
        String expectedEnd = "\nProvide the data in one of these ways: pass --data-dir <cifar-10-binary.tar.gz,"
                + " or a folder holding it or its extracted files>; set AIRBENCH_DATA to such a path; or copy"
                + " cifar-10-binary.tar.gz into " + cache + ".";
        assertTrue(message.endsWith(expectedEnd), message);
        assertTrue(Files.notExists(cache.resolve(V.archiveFileName())));
    }

    @Test
    void aMissingExplicitPathIsAnErrorNotAFallThrough() throws IOException {
        putArchive(cache);
        Path typo = root.resolve("typo");

        DataException e = assertThrows(DataException.class, () -> locate(Optional.of(typo), Map.of(), noDownload));

        assertEquals("--data-dir " + typo + ": the path does not exist. Point it at cifar-10-binary.tar.gz or at"
                + " the folder holding it or its extracted files.", e.getMessage());
    }

    @Test
    void aMissingEnvironmentPathIsAnError() throws IOException {
        putArchive(cache);
        Path typo = root.resolve("typo");

        DataException e = assertThrows(DataException.class,
                () -> locate(Optional.empty(), Map.of("AIRBENCH_DATA", typo.toString()), noDownload));

        assertEquals("AIRBENCH_DATA=" + typo + ": the path does not exist. Point it at cifar-10-binary.tar.gz or"
                + " at the folder holding it or its extracted files.", e.getMessage());
    }

    @Test
    void anExplicitFolderWithoutDataIsAnError() throws IOException {
        putArchive(cache);

        DataException e = assertThrows(DataException.class,
                () -> locate(Optional.of(explicit), Map.of(), noDownload));

        assertTrue(e.getMessage().startsWith(explicit + ": holds no CIFAR-10 data (expected cifar-10-binary.tar.gz"),
                e.getMessage());
    }

    @Test
    void anExplicitArchiveIsTakenWithoutAnMd5Check() throws IOException {
        // The shared copy is repacked, so its MD5 differs from the official one; it must still be accepted.
        Path archive = putArchive(explicit);
        Path renamed = Files.move(archive, explicit.resolve("my-copy.tar.gz"));
        assertEquals(renamed, locate(Optional.of(renamed), Map.of(), noDownload));
        assertEquals(8, CifarReader.read(renamed, V, SMALL).train().size() - 2);
    }

    @Test
    void theDefaultCacheIsUnderTheHomeFolder() {
        assertEquals(Path.of(System.getProperty("user.home"), ".cache", "airbench"), DataLocator.defaultCache());
    }

    @Test
    void eachDatasetFindsItsOwnFilesInTheSameFolders() throws IOException {
        // As on the development machines: the CIFAR-10 archive and the extracted CIFAR-100 side by side.
        Path cifar10 = putArchive(cache);
        Path cifar100 = cache.resolve(CifarVariant.CIFAR100.folderName());
        CifarFiles.writeFolder(cifar100, CifarFiles.dataFiles(CifarVariant.CIFAR100, SMALL));

        assertEquals(cifar10, locate(Optional.empty(), Map.of(), noDownload));
        assertEquals(cifar100, DataLocator.locate(CifarVariant.CIFAR100, Optional.empty(), Map.of(), cache,
                List.of(fallback1), noDownload));
        assertEquals(cifar100, DataLocator.locate(CifarVariant.CIFAR100, Optional.of(cache), Map.of(), root,
                List.of(), noDownload));
    }

    @Test
    void anExplicitFolderOfTheOtherDatasetNamesTheOptionToChoose() throws IOException {
        putExtracted(explicit);

        DataException e = assertThrows(DataException.class, () -> DataLocator.locate(CifarVariant.CIFAR100,
                Optional.of(explicit), Map.of(), cache, List.of(), noDownload));

        assertTrue(e.getMessage().startsWith(explicit + ": holds CIFAR-10 files instead of CIFAR-100 files; this"
                + " looks like CIFAR-10, not CIFAR-100. Choose the CIFAR-10 dataset (--dataset cifar10), or point"
                + " to a folder with cifar-100-binary.tar.gz"), e.getMessage());
    }
}
