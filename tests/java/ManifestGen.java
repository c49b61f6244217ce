// tests/java/ManifestGen.java: the JDK's manifest bytes that check_manifest compares with.
// SPDX-License-Identifier: ISC
//
// Run by tests/data/make-manifest-fixtures.sh (it needs
// --add-exports java.base/sun.security.util=ALL-UNNAMED). Writes into the
// directory given as the only argument:
//   fold-ID.mf  what java.util.jar.Manifest.write() makes of one long
//               header; ID says what (see expand()), check_manifest
//               rebuilds the header from ID and writes it with
//               sbx_manifest_put()
//   jdk-ID.mf   a hand-made manifest with an unusual layout
//   jdk-ID.txt  how the JDK reads it: "R\tSECTION\tRAWHEX" per section
//               name (sun.security.util.ManifestDigester, the bytes that
//               signatures digest; sections sharing a name concatenated)
//               and "A\tSECTION\tNAME\tVALUEHEX" per attribute
//               (java.util.jar.Manifest); SECTION is "-" for the main
//               section, else the hex of the Name: value

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

import sun.security.util.ManifestDigester;

public final class ManifestGen {
	// SHA-256 of nothing, as jarsigner writes it.
	static final String EMPTY_DIGEST =
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

	// The longest attribute name the JDK allows: 70 bytes.
	static final String NAME70 =
	    "N234567890123456789012345678901234567890" +
	    "123456789012345678901234567890";

	// Must match the table fold_cases[] in tests/unit/check_manifest.c.
	static final String[] FOLD = {
		"main-X-a0", "main-X-a68", "main-X-a69", "main-X-a70",
		"main-X-a71", "main-X-a72", "main-X-a73", "main-X-a74",
		"main-X-a75", "main-X-a139", "main-X-a140", "main-X-a141",
		"main-X-a142", "main-X-a143", "main-X-a144", "main-X-a145",
		"main-X-a146", "main-X-a211", "main-X-a212",
		"main-N70-a0", "main-N70-a1", "main-N70-a2", "main-N70-a71",
		"main-N70-a72",
		"main-X-a68e1", "main-X-a67k1", "main-X-a68k1", "main-X-a66g1",
		"main-X-a67g1", "main-X-a68g1", "main-X-e100", "main-X-k60",
		"main-X-g50",
		"entry-a65", "entry-a66", "entry-a67", "entry-a68",
		"entry-a69", "entry-a137", "entry-a138", "entry-a139",
		"entry-a140", "entry-a65e1", "entry-a64k1", "entry-a65k1",
		"entry-a63g1", "entry-a64g1", "entry-a65g1", "entry-a136e1",
		"entry-e100", "entry-k50", "entry-g40",
	};

	// Must match the table jdk_cases[] in tests/unit/check_manifest.c.
	static final String[][] JDK = {
		{ "crlf", "Manifest-Version: 1.0\r\nCreated-By: t\r\n\r\n" +
		    "Name: a.class\r\nSHA-256-Digest: x\r\n\r\n" +
		    "Name: b.class\r\nSHA-256-Digest: y\r\n\r\n" },
		{ "lf", "Manifest-Version: 1.0\nCreated-By: t\n\n" +
		    "Name: a.class\nSHA-256-Digest: x\n\n" },
		{ "cr", "Manifest-Version: 1.0\rCreated-By: t\r\r" +
		    "Name: a.class\rSHA-256-Digest: x\r\r" },
		{ "mixed", "Manifest-Version: 1.0\nCreated-By: t\r\n\r" +
		    "Name: a.class\r\nSHA-256-Digest: x\r\r\n" +
		    "Name: b.class\rSHA-256-Digest: y\n\r\n" },
		{ "extra-blank", "Manifest-Version: 1.0\r\n\r\n\r\n\r\n" +
		    "Name: a.class\r\nSHA-256-Digest: x\r\n\r\n\n\r" +
		    "Name: b.class\r\nSHA-256-Digest: y\r\n\r\n\r\n" },
		{ "no-last-blank", "Manifest-Version: 1.0\r\n\r\n" +
		    "Name: a.class\r\nSHA-256-Digest: x\r\n" },
		{ "main-only", "Manifest-Version: 1.0\r\nPremain-Class: A\r\n" },
		{ "dup-name", "Manifest-Version: 1.0\r\n\r\n" +
		    "Name: a.class\r\nX-A: 1\r\n\r\n" +
		    "Name: b.class\r\nSHA-256-Digest: y\r\n\r\n" +
		    "Name: a.class\r\nSHA-256-Digest: x\r\n\r\n" },
		{ "wrapped-name", "Manifest-Version: 1.0\r\n\r\n" +
		    "Name: dir/" + "d".repeat(56) + "\u00e9\r\n" +
		    " \u00e9\u20ac.class\r\nSHA-256-Digest: x\r\n\r\n" },
		{ "two-space", "Manifest-Version: 1.0\r\nX-Long: ab\r\n" +
		    "  cd\r\n \r\n e\r\n\r\n" },
		{ "lower-name", "Manifest-Version: 1.0\r\n\r\n" +
		    "nAmE: a.class\r\nsha-256-digest: x\r\n\r\n" },
		{ "leading-blank", "\r\nName: a.class\r\nSHA-256-Digest: x\r\n\r\n" },
		{ "cr-then-crlf", "Manifest-Version: 1.0\r\r\n" +
		    "Name: a.class\rSHA-256-Digest: x\r\r\n" },
		{ "long-line", "Manifest-Version: 1.0\r\nX-Long: " +
		    "v".repeat(300) + "\r\n\r\n" },
	};

	// "a7" is 7 bytes a..z, "e3" 3 U+00E9, "k3" 3 U+20AC, "g3" 3 U+1F600.
	static String expand(String spec) {
		StringBuilder b = new StringBuilder();
		int i = 0;

		while (i < spec.length()) {
			char kind = spec.charAt(i++);
			int j = i;
			while (j < spec.length() &&
			    Character.isDigit(spec.charAt(j)))
				j++;
			int n = Integer.parseInt(spec.substring(i, j));
			i = j;
			for (int k = 0; k < n; k++) {
				switch (kind) {
				case 'a': b.append((char)('a' + k % 26)); break;
				case 'e': b.append('\u00e9'); break;
				case 'k': b.append('\u20ac'); break;
				case 'g': b.appendCodePoint(0x1f600); break;
				default: throw new IllegalArgumentException(spec);
				}
			}
		}
		return b.toString();
	}

	static byte[] fold(String id) throws IOException {
		String[] f = id.split("-");
		Manifest m = new Manifest();
		ByteArrayOutputStream out = new ByteArrayOutputStream();

		m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION,
		    "1.0");
		if (f[0].equals("main")) {
			String name = f[1].equals("N70") ? NAME70 : f[1];
			m.getMainAttributes().putValue(name, expand(f[2]));
		} else {
			Attributes a = new Attributes();
			a.putValue("SHA-256-Digest", EMPTY_DIGEST);
			m.getEntries().put(expand(f[1]), a);
		}
		m.write(out);
		return out.toByteArray();
	}

	static String hex(byte[] b) {
		StringBuilder s = new StringBuilder();
		for (byte x : b)
			s.append(String.format("%02x", x & 0xff));
		return s.toString();
	}

	static String hex(String s) {
		return hex(s.getBytes(StandardCharsets.UTF_8));
	}

	static byte[] raw(ManifestDigester.Entry e) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		e.reproduceRaw(out);
		return out.toByteArray();
	}

	static void attrs(StringBuilder s, String sec, Attributes a) {
		for (Map.Entry<Object, Object> e : a.entrySet())
			s.append("A\t").append(sec).append('\t')
			    .append(e.getKey()).append('\t')
			    .append(hex((String)e.getValue())).append('\n');
	}

	static String read(byte[] mf) throws IOException {
		Manifest m = new Manifest(new ByteArrayInputStream(mf));
		ManifestDigester d = new ManifestDigester(mf);
		StringBuilder s = new StringBuilder();

		s.append("R\t-\t").append(hex(raw(d.getMainAttsEntry())))
		    .append('\n');
		attrs(s, "-", m.getMainAttributes());
		for (Map.Entry<String, Attributes> e :
		    m.getEntries().entrySet()) {
			String sec = hex(e.getKey());
			s.append("R\t").append(sec).append('\t')
			    .append(hex(raw(d.get(e.getKey())))).append('\n');
			attrs(s, sec, e.getValue());
		}
		return s.toString();
	}

	public static void main(String[] args) throws IOException {
		Path dir = Paths.get(args[0]);

		Files.createDirectories(dir);
		for (String id : FOLD)
			Files.write(dir.resolve("fold-" + id + ".mf"), fold(id));
		for (String[] c : JDK) {
			byte[] mf = c[1].getBytes(StandardCharsets.UTF_8);
			Files.write(dir.resolve("jdk-" + c[0] + ".mf"), mf);
			Files.write(dir.resolve("jdk-" + c[0] + ".txt"),
			    read(mf).getBytes(StandardCharsets.UTF_8));
		}
	}
}
