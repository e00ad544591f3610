USE master;  
SELECT * FROM sys.certificates;  
